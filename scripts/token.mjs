// npm run token -- <sub> [--admin] [--email EMAIL] [--name NAME]: prints a 24 h token signed with .dev.vars' secret.
import { SignJWT } from "jose";
import { ensureDevVars, readDevVars } from "./dev-vars.mjs";

const args = process.argv.slice(2);
const sub = args.find((arg, index) => !arg.startsWith("--") && !args[index - 1]?.match(/^--(email|name)$/));
if (!sub) {
  console.error("usage: npm run token -- <sub> [--admin] [--email EMAIL] [--name NAME]");
  process.exit(2);
}
const option = (name) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
ensureDevVars();
const vars = { ...readDevVars(), ...process.env };
if (!vars.JWT_SECRET) {
  console.error("JWT_SECRET is not set (in .dev.vars or the environment)");
  process.exit(1);
}
const claims = {};
if (option("email")) claims.email = option("email");
if (option("name")) claims.name = option("name");
if (args.includes("--admin")) claims.roles = ["admin"];
let jwt = new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(sub)
  .setIssuedAt()
  .setExpirationTime("24h");
if (vars.JWT_ISSUER) jwt = jwt.setIssuer(vars.JWT_ISSUER);
if (vars.JWT_AUDIENCE) jwt = jwt.setAudience(vars.JWT_AUDIENCE);
console.log(await jwt.sign(new TextEncoder().encode(vars.JWT_SECRET)));
