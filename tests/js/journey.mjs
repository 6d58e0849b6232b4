// The account journey through amazon-cognito-identity-js against the local pool.
// Input (env): ENDPOINT, POOL_ID, CLIENT_ID, USERNAME. Output: one JSON object of outcomes.
// Codes are read from the pool's message sink (GET /_pool/messages); expiry uses its test clock.
import cognito from "amazon-cognito-identity-js";

const { CognitoUserPool, CognitoUser, CognitoUserAttribute, AuthenticationDetails } = cognito;
const { ENDPOINT, POOL_ID, CLIENT_ID, USERNAME } = process.env;
const PASSWORD = "Passw0rd!js1";
const NEW_PASSWORD = "N3w-Passw0rd!js";
const LAST_PASSWORD = "L4st-Passw0rd!js";

const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: ENDPOINT });
const user = () => new CognitoUser({ Username: USERNAME, Pool: pool });
const errorOf = (err) => ({ error: err.code || err.name, message: err.message });

async function code(purpose) {
  const query = new URLSearchParams({ username: USERNAME, pool_id: POOL_ID });
  const answer = await fetch(`${ENDPOINT}_pool/messages?${query}`);
  const found = (await answer.json()).messages.filter((m) => m.purpose === purpose);
  return found[found.length - 1].code;
}

const other = (c) => String((Number(c) + 1) % 1000000).padStart(6, "0");

function signUp(username, password) {
  const email = new CognitoUserAttribute({ Name: "email", Value: `${username}@example.com` });
  return new Promise((resolve) =>
    pool.signUp(username, password, [email], null, (err, result) =>
      resolve(err ? errorOf(err) : { sub: result.userSub, delivery: result.codeDeliveryDetails }),
    ),
  );
}

function confirmRegistration(c) {
  return new Promise((resolve) =>
    user().confirmRegistration(c, true, (err, result) => resolve(err ? errorOf(err) : result)),
  );
}

function forgotPassword() {
  return new Promise((resolve) =>
    user().forgotPassword({
      onSuccess: (data) => resolve(data),
      onFailure: (err) => resolve(errorOf(err)),
      inputVerificationCode: (data) => resolve(data),
    }),
  );
}

function confirmPassword(c, password) {
  return new Promise((resolve) =>
    user().confirmPassword(c, password, {
      onSuccess: (result) => resolve(result),
      onFailure: (err) => resolve(errorOf(err)),
    }),
  );
}

function signIn(password) {
  const signedIn = user();
  const details = new AuthenticationDetails({ Username: USERNAME, Password: password });
  return new Promise((resolve, reject) =>
    signedIn.authenticateUser(details, {
      onSuccess: () => resolve(signedIn),
      onFailure: reject,
    }),
  );
}

const callback = (resolve) => (err, result) => resolve(err ? errorOf(err) : result);

async function main() {
  const out = {};
  out.signUp = await signUp(USERNAME, PASSWORD);
  out.signUpExisting = await signUp(USERNAME, PASSWORD);
  out.signUpWeak = await signUp(`${USERNAME}-weak`, "weak");
  const signUpCode = await code("SIGN_UP");
  out.confirmWrong = await confirmRegistration(other(signUpCode));
  out.confirm = await confirmRegistration(signUpCode);
  out.confirmReused = await confirmRegistration(signUpCode);

  out.forgot = await forgotPassword();
  const resetCode = await code("FORGOT_PASSWORD");
  out.confirmPasswordWrong = await confirmPassword(other(resetCode), NEW_PASSWORD);
  out.confirmPassword = await confirmPassword(resetCode, NEW_PASSWORD);
  out.confirmPasswordReused = await confirmPassword(resetCode, PASSWORD);
  await forgotPassword();
  const lateCode = await code("FORGOT_PASSWORD");
  await fetch(`${ENDPOINT}_pool/clock`, { method: "POST", body: JSON.stringify({ advance: 3601 }) });
  out.confirmPasswordExpired = await confirmPassword(lateCode, PASSWORD);

  const signedIn = await signIn(NEW_PASSWORD);
  out.changePasswordWrong = await new Promise((resolve) =>
    signedIn.changePassword("Wr0ng!password", LAST_PASSWORD, callback(resolve)),
  );
  out.changePassword = await new Promise((resolve) =>
    signedIn.changePassword(NEW_PASSWORD, LAST_PASSWORD, callback(resolve)),
  );
  const name = new CognitoUserAttribute({ Name: "name", Value: "Jay Ess" });
  out.updateAttributes = await new Promise((resolve) =>
    signedIn.updateAttributes([name], callback(resolve)),
  );
  out.attributes = await new Promise((resolve) =>
    signedIn.getUserAttributes((err, list) =>
      resolve(err ? errorOf(err) : Object.fromEntries(list.map((a) => [a.Name, a.Value]))),
    ),
  );
  const last = await signIn(LAST_PASSWORD);
  out.signedInWithLastPassword = last.getSignInUserSession().isValid();
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
