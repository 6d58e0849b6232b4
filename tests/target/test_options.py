"""The option table: one declaration reaches Locust's parser and every command's argparse parser
with the same flag, destination, environment variable and default, and a target handed from a
command to a Locust child arrives unchanged.

Locust's parser is the real one (configargparse, with its environment and ``locust.conf``
handling), built in a child process because importing Locust monkey-patches the interpreter.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import pytest

from loadtest.cli import build_parser
from loadtest.target.options import (
    CONFIRM,
    OPEN_MODEL,
    OPTIONS,
    TARGET,
    add_command_options,
    child_env,
    pick,
    settings_from,
    target_from,
)
from tests.child import python_json

_LOCUST_PARSER = """
import json, os, sys
from locust.argument_parser import get_parser
from loadtest.target.options import OPEN_MODEL, OPTIONS, add_locust_options, settings_from

parser = get_parser(default_config_files=sys.argv[1:])
add_locust_options(parser)
add_locust_options(parser.add_argument_group("open model"), OPEN_MODEL)
ALL = (*OPTIONS, *OPEN_MODEL)
found = {}
for option in ALL:
    action = parser._option_string_actions.get(option.flag)
    if action is not None:
        found[option.setting] = {
            "flags": action.option_strings,
            "dest": action.dest,
            "default": action.default,
            "env_var": getattr(action, "env_var", None),
            "choices": list(action.choices) if action.choices else None,
            "in_web_ui": getattr(action, "include_in_web_ui", True),
        }
options = parser.parse_args(["-f", "scenario.py"])
parsed = {option.setting: getattr(options, option.dest) for option in ALL}
print(json.dumps({"actions": found, "parsed": parsed, "target": settings_from(options, {})}))
"""

#: Every option of the table.
ALL = (*OPTIONS, *OPEN_MODEL)
README = Path(__file__).resolve().parents[2] / "scenarios" / "README.md"

#: Every target setting given, as a command line would.
GIVEN = {
    "region": "eu-west-1",
    "pool_id": "eu-west-1_AbC123",
    "client_id": "client1",
    "client_secret": "s3cr3t-value",
    "endpoint_url": "http://127.0.0.1:9229/",
    "identities": "ids.jsonl",
}


def locust_parser(env: dict[str, str], *conf: Path) -> dict[str, Any]:
    """What Locust's parser makes of the table, with ``env`` as the whole COGNITO_ environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    result: dict[str, Any] = python_json(_LOCUST_PARSER, *map(str, conf), env=base | env)
    return result


@pytest.fixture(scope="module")
def locust_defaults() -> dict[str, Any]:
    return locust_parser({})


def test_every_option_reaches_locust_with_its_flag_dest_env_and_default(
    locust_defaults: dict[str, Any],
) -> None:
    actions = locust_defaults["actions"]
    assert set(actions) == {option.setting for option in ALL}
    for option in ALL:
        action = actions[option.setting]
        assert action["flags"] == [option.flag], option  # never the short alias in Locust
        assert action["dest"] == option.dest
        assert action["env_var"] == (None if option.repeat else option.env_var)
        assert action["default"] == ([] if option.repeat else option.default)
        assert action["choices"] == (list(option.choices) if option.choices else None)


def test_the_same_declaration_reaches_argparse_alike(locust_defaults: dict[str, Any]) -> None:
    parser = argparse.ArgumentParser()
    add_command_options(parser, ALL)
    actions = {a.dest: a for a in parser._actions}
    for option in ALL:
        action = actions[option.dest]
        assert option.flag in action.option_strings
        assert action.option_strings == [option.flag, *([option.alias] if option.alias else [])]
        assert action.default == locust_defaults["actions"][option.setting]["default"]
    parsed = vars(parser.parse_args([]))
    assert parsed == {o.dest: locust_defaults["parsed"][o.setting] for o in ALL}


def test_locust_reads_each_target_setting_from_its_environment_variable() -> None:
    env = {option.env_var: GIVEN[option.setting] for option in TARGET}
    assert locust_parser(env)["target"] == GIVEN


def test_locust_reads_locust_conf(tmp_path: Path) -> None:
    conf = tmp_path / "locust.conf"
    conf.write_text("cognito-pool-id = us-east-1_FromConf\ncognito-retries = 2\n")
    parsed = locust_parser({}, conf)["parsed"]
    assert parsed["pool_id"] == "us-east-1_FromConf"
    assert parsed["retries"] == 2


def test_a_target_handed_from_run_to_a_locust_child_arrives_unchanged() -> None:
    argv = ["run", "srp"]
    for setting, value in GIVEN.items():
        argv += [f"--cognito-{setting.replace('_', '-')}", value]
    args = build_parser().parse_args([*argv, "--confirm-pool-id", GIVEN["pool_id"]])
    env = child_env(args, (*TARGET, CONFIRM))
    assert env[CONFIRM.env_var] == GIVEN["pool_id"]
    child = locust_parser(env)
    assert child["target"] == settings_from(args, {}) == GIVEN
    assert child["parsed"]["confirm_pool_id"] == GIVEN["pool_id"]


@pytest.mark.parametrize(
    ("command", "settings"),
    [
        (["run", "srp"], ("region", "pool_id", "client_id", "client_secret", "endpoint_url")),
        (["capacity"], ("region", "pool_id", "client_id", "client_secret", "endpoint_url")),
        (["lockout-probe"], ("region", "pool_id", "client_id", "client_secret", "endpoint_url")),
        (["provision", "-n", "1", "--identities", "x"], ("region", "pool_id", "client_id")),
        (["teardown", "--prefix", "lt-"], ("region", "pool_id", "endpoint_url")),
    ],
)
def test_every_command_takes_the_target_by_both_spellings(
    command: list[str], settings: tuple[str, ...]
) -> None:
    parser = build_parser()
    for option in pick(*settings, "confirm_pool_id"):
        value = GIVEN.get(option.setting, "eu-west-1_AbC123")
        long = parser.parse_args([*command, option.flag, value])
        assert getattr(long, option.dest) == value
        assert option.alias is not None
        short = parser.parse_args([*command, option.alias, value])
        assert getattr(short, option.dest) == value


def test_commands_fall_back_to_the_environment_like_locust() -> None:
    args = build_parser().parse_args(["lockout-probe", "--pool-id", "eu-west-1_FromCli"])
    environ = {"COGNITO_POOL_ID": "eu-west-1_FromEnv", "COGNITO_CLIENT_ID": "envclient"}
    target = target_from(args, environ, pick("pool_id", "client_id", "endpoint_url"))
    assert (target.pool_id, target.client_id) == ("eu-west-1_FromCli", "envclient")
    assert target.region == "eu-west-1"


def test_secrets_and_lists_stay_out_of_locusts_web_ui(locust_defaults: dict[str, Any]) -> None:
    """A secret's value would travel in the page (Locust's ``is_secret`` only masks the field);
    a list cannot be posted back by Locust's form."""
    hidden = [k for k, action in locust_defaults["actions"].items() if not action["in_web_ui"]]
    assert hidden == ["client_secret", "slo", "m2m_client_secret"]


def test_unknown_settings_are_a_key_error() -> None:
    with pytest.raises(KeyError):
        pick("pool-id")


def test_the_scenarios_readme_lists_the_table() -> None:
    rows = [line.split("|")[1:3] for line in README.read_text().splitlines()]
    listed = {
        flag.strip(" `"): env.strip(" `")
        for flag, env in (row for row in rows if len(row) == 2)
        if flag.strip(" `").startswith("--cognito-")
    }
    assert listed == {o.flag: "—" if o.repeat else o.env_var for o in ALL}


def test_capacity_takes_the_open_models_mix_and_wait_from_the_table() -> None:
    args = build_parser().parse_args(["capacity", "--mix", "srp=2", "--cognito-max-wait", "3"])
    assert (args.cognito_mix, args.cognito_max_wait) == ("srp=2", 3.0)
    assert build_parser().parse_args(["capacity"]).cognito_mix == pick("mix")[0].default


def test_capacity_takes_the_arrival_process_and_hands_it_to_the_ramp(tmp_path: Path) -> None:
    from loadtest.capacity.analysis import StepTally
    from loadtest.capacity.cli import _settings
    from loadtest.capacity.ramp import scheduled_per_step
    from loadtest.capacity.schedule import arrivals

    args = build_parser().parse_args(
        ["capacity", "--arrivals", "poisson", "--arrivals-seed", "3", "--run-id", "x"]
    )
    settings = _settings(args)
    assert (settings.arrivals, settings.arrivals_seed) == ("poisson", 3)
    plain = _settings(build_parser().parse_args(["capacity", "--run-id", "y"]))
    assert (plain.arrivals, plain.arrivals_seed) == ("even", 1)
    # each step is judged against the arrivals the seeded draws put in it, not the integral
    # of its rate (a poisson step of 80 expected holds 80 ± 9), so chance alone does not make
    # a step look unsustained; even steps keep the integral
    drawn = scheduled_per_step(settings)
    assert drawn is not None
    assert drawn == [
        sum(
            a.stage == i for a in arrivals(settings.stages, settings.mix, process="poisson", seed=3)
        )
        for i in range(len(settings.stages))
    ]
    assert drawn != [round(s.arrivals) for s in settings.stages]
    assert scheduled_per_step(plain) is None
    tally = StepTally(settings.stages, warmup=settings.warmup, scheduled=drawn)
    assert [step.scheduled for step in tally.steps] == drawn
    with pytest.raises(SystemExit):
        build_parser().parse_args(["capacity", "--arrivals", "bursty"])
