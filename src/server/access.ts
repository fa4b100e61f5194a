import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";

export const TOKEN_COOKIE = "adrs_token";

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export interface AccessOptions {
  /** Required on every request when set (always set when bound beyond loopback). */
  token: string | null;
  /** Bound to a loopback address: requests must name a loopback host (no DNS rebinding). */
  loopback: boolean;
}

/**
 * Who may ask. With a token, every request must carry it: an
 * `Authorization: Bearer` header, the `adrs_token` cookie, or `?token=` (which
 * sets the cookie, so the page's own requests and event streams carry it).
 * On loopback, a request must also name a loopback host, so a web page on
 * another site cannot reach the server through a name that resolves here.
 * A write must be JSON from this origin: a cross-site form cannot send one.
 */
export function accessControl(options: AccessOptions): MiddlewareHandler {
  return async (c, next) => {
    if (options.loopback) {
      const host = c.req.header("host") ?? "";
      const name = host.replace(/:\d+$/, "");
      if (!isLoopback(name)) return c.text(`refused: host ${host} is not this machine's loopback\n`, 403);
    }
    if (options.token !== null) {
      const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      const query = c.req.query("token");
      const given = bearer ?? query ?? getCookie(c, TOKEN_COOKIE);
      if (!given || !sameSecret(given, options.token)) {
        return c.text(
          "a token is required: open the address `adrs serve` printed (it carries ?token=…)\n",
          401,
        );
      }
      if (query) setCookie(c, TOKEN_COOKIE, query, { httpOnly: true, sameSite: "Strict", path: "/" });
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
        return c.text("refused: a write must be sent as application/json\n", 415);
      }
      const origin = c.req.header("origin");
      if (origin && hostOf(origin) !== c.req.header("host")) {
        return c.text(`refused: a write from another origin (${origin})\n`, 403);
      }
    }
    await next();
  };
}

/** Compares secrets in constant time (hashes first, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
