"""A real SMTP server for the alert tests (aiosmtpd): accepts AUTH PLAIN/LOGIN with one
user and password (without TLS, on 127.0.0.1 only), writes each message it receives to
DIR/NNNN.eml (the raw message, with the envelope in X-Sink-* headers) and DIR/NNNN.json
(`{"to", "subject", "text", "html"}`, decoded, so tests can read and scan them), and prints
`listening on PORT` once it accepts connections.

Usage: python3 smtp_sink.py DIR USER PASSWORD
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, "%04d.eml" % self.count)
        head = "X-Sink-From: %s\r\nX-Sink-To: %s\r\n" % (
            envelope.mail_from,
            ",".join(envelope.rcpt_tos),
        )
        raw = envelope.original_content or envelope.content
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(head.encode())
            f.write(raw)
        os.replace(tmp, path)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {"to": envelope.rcpt_tos, "subject": str(msg["subject"])}
        for kind in ("plain", "html"):
            part = msg.get_body(preferencelist=(kind,))
            parts["text" if kind == "plain" else "html"] = part.get_content() if part else ""
        decoded = path[:-4] + ".json"
        with open(decoded + ".tmp", "w") as f:
            json.dump(parts, f)
        os.replace(decoded + ".tmp", decoded)
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    return check


async def main():
    directory, user, password = sys.argv[1:4]
    handler = Sink(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=False,
        ),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    print("listening on %d" % port, flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
