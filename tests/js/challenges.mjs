// Drive one sign-in with the official amazon-cognito-identity-js SDK against the local pool,
// through its own callbacks: mfaRequired (SMS_MFA), selectMFAType (SELECT_MFA_TYPE) and
// customChallenge (CUSTOM_CHALLENGE). Codes are read from the pool's message sink.
// Usage: node challenges.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD MODE
// MODE: sms | select | custom-srp | custom-only | custom-fail. Prints one JSON line:
// {"ok": bool, "events": [...], "error": {"code", "message"}?}; exit 0 either way.
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";

const [endpoint, poolId, clientId, username, password, mode] = process.argv.slice(2);
const events = [];
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
const user = new CognitoUser({ Username: username, Pool: pool });
const details = new AuthenticationDetails({ Username: username, Password: password });
let wrongLeft = mode === "custom-fail" ? 3 : mode === "custom-srp" ? 1 : 0;

const finish = (ok, error) => {
  const out = { ok, events };
  if (error) out.error = { code: error.code || error.name, message: error.message };
  console.log(JSON.stringify(out));
};

async function lastCode() {
  const query = new URLSearchParams({ username, pool_id: poolId });
  const answer = await fetch(`${endpoint.replace(/\/$/, "")}/_pool/messages?${query}`);
  const { messages } = await answer.json();
  return messages[messages.length - 1].code;
}

function solve(params) {
  const words = params.question.replace(/\?$/, "").split(" ");
  return String(Number(words[words.length - 3]) + Number(words[words.length - 1]));
}

const callbacks = {
  onSuccess(session) {
    events.push("onSuccess");
    finish(session.isValid(), null);
  },
  onFailure(error) {
    events.push("onFailure");
    finish(false, error);
  },
  mfaRequired(challengeName, params) {
    events.push(`mfaRequired:${challengeName}:${params.CODE_DELIVERY_DESTINATION}`);
    lastCode().then((code) => user.sendMFACode(code, callbacks, challengeName));
  },
  selectMFAType(challengeName, params) {
    events.push(`selectMFAType:${params.MFAS_CAN_CHOOSE}`);
    user.sendMFASelectionAnswer("SMS_MFA", callbacks);
  },
  customChallenge(params) {
    events.push(`customChallenge:${params.USERNAME}`);
    const answer = wrongLeft > 0 ? "-1" : solve(params);
    wrongLeft -= 1;
    user.sendCustomChallengeAnswer(answer, callbacks);
  },
};

if (mode === "custom-srp" || mode === "custom-fail") {
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  user.authenticateUser(details, callbacks);
} else if (mode === "custom-only") {
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  user.initiateAuth(new AuthenticationDetails({ Username: username }), callbacks);
} else {
  user.authenticateUser(details, callbacks);
}
