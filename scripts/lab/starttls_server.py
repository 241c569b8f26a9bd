#!/usr/bin/env python3
"""Small servers for the STARTTLS fixtures (scripts/make-starttls-fixtures.sh): each speaks the
plaintext part of one protocol far enough for a real client to ask for TLS, answers the request
with the protocol's own success or refusal, and on success wraps the socket with Python's ssl
module and goes on over TLS until the client leaves.

    starttls_server.py ADDRESS CERT_CHAIN KEY

Which answer a connection gets is fixed per port and per connection in PLAN, so the capture is
the same on every run. The exchanges follow the protocols' RFCs:
  SMTP      RFC 5321 / RFC 3207  (STARTTLS -> 220, refusal 454)
  IMAP      RFC 9051 §6.2.1      (tag STARTTLS -> tag OK, refusal tag NO)
  POP3      RFC 2595 §4          (STLS -> +OK)
  FTP       RFC 4217 §4          (AUTH TLS -> 234)
  NNTP      RFC 4642 §2.2        (STARTTLS -> 382)
  ManageSieve RFC 5804 §2.2      (capability greeting; STARTTLS -> OK)
  XMPP      RFC 6120 §5.4        (<starttls/> -> <proceed/>)
  LDAP      RFC 4511 §4.14       (ExtendedRequest 1.3.6.1.4.1.1466.20037 -> ExtendedResponse success)
  PostgreSQL protocol docs, "SSL Session Encryption" (SSLRequest 80877103 -> 'S', refusal 'N')
"""
import socket, socketserver, ssl, sys, threading

ADDRESS, CHAIN, KEY = sys.argv[1:4]
TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
TLS.load_cert_chain(CHAIN, KEY)

# port -> (protocol, answers to the STARTTLS request, one per connection in order; "plain": the
# client never asks).
PLAN = {
    25: ("smtp", ["accept", "plain"]),
    2525: ("smtp", ["accept"]),
    587: ("smtp", ["refuse"]),
    143: ("imap", ["accept", "refuse"]),
    110: ("pop3", ["accept"]),
    21: ("ftp", ["accept"]),
    119: ("nntp", ["accept"]),
    4190: ("sieve", ["accept"]),
    5222: ("xmpp", ["accept"]),
    389: ("ldap", ["accept"]),
    5432: ("postgresql", ["accept", "refuse"]),
}
counts = {port: 0 for port in PLAN}
lock = threading.Lock()


class Conn:
    """A socket read line by line, which can be wrapped in TLS mid-way."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def until(self, marker):
        while marker not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def line(self):
        return self.until(b"\n").decode("latin-1").rstrip("\r\n")

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def start_tls(self):
        assert not self.buf, "the client sent bytes before the answer"
        self.sock = TLS.wrap_socket(self.sock, server_side=True)


def smtp(c, answer):
    c.send("220 mail.lab.example ESMTP farmwatch lab\r\n")
    tls = False
    while True:
        verb = c.line().split(" ")[0].upper()
        if verb in ("EHLO", "HELO"):
            ext = "" if tls else "250-STARTTLS\r\n"
            c.send("250-mail.lab.example\r\n250-PIPELINING\r\n" + ext + "250 8BITMIME\r\n")
        elif verb == "STARTTLS" and answer == "accept":
            c.send("220 2.0.0 Ready to start TLS\r\n")
            c.start_tls()
            tls = True
        elif verb == "STARTTLS":
            c.send("454 4.7.0 TLS not available due to temporary reason\r\n")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            c.send("250 2.0.0 OK\r\n")
        elif verb == "DATA":
            c.send("354 End data with <CR><LF>.<CR><LF>\r\n")
            c.until(b"\r\n.\r\n")
            c.send("250 2.0.0 OK queued\r\n")
        elif verb == "QUIT":
            c.send("221 2.0.0 Bye\r\n")
            return
        else:
            c.send("502 5.5.2 Command not recognized\r\n")


def imap(c, answer):
    caps = "IMAP4rev1 STARTTLS LOGINDISABLED"
    c.send("* OK [CAPABILITY %s] farmwatch lab IMAP ready\r\n" % caps)
    while True:
        tag, _, rest = c.line().partition(" ")
        command = rest.split(" ")[0].upper()
        if command == "CAPABILITY":
            c.send("* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n" % (caps, tag))
        elif command == "STARTTLS" and answer == "accept":
            c.send("%s OK Begin TLS negotiation now\r\n" % tag)
            c.start_tls()
            caps = "IMAP4rev1 AUTH=PLAIN"
        elif command == "STARTTLS":
            c.send("%s NO [UNAVAILABLE] TLS is not available now\r\n" % tag)
        elif command == "LOGOUT":
            c.send("* BYE logging out\r\n%s OK LOGOUT completed\r\n" % tag)
            return
        else:
            c.send("%s BAD unknown command\r\n" % tag)


def dialogue(c, greeting, replies, unknown, verb=lambda line: line.split(" ")[0].upper()):
    """Answers each command line from `replies` (verb -> (reply, then)), where `then` is "tls"
    to start TLS after the reply or "quit" to close; other commands get `unknown`."""
    c.send(greeting)
    while True:
        reply, then = replies.get(verb(c.line()), (unknown, None))
        c.send(reply)
        if then == "tls":
            c.start_tls()
        elif then == "quit":
            return


def pop3(c, answer):
    dialogue(c, "+OK farmwatch lab POP3 ready\r\n", {
        "CAPA": ("+OK Capability list follows\r\nUSER\r\nSTLS\r\nUIDL\r\n.\r\n", None),
        "STLS": ("+OK Begin TLS negotiation\r\n", "tls"),
        "QUIT": ("+OK bye\r\n", "quit"),
    }, "-ERR unknown command\r\n")


def ftp(c, answer):
    dialogue(c, "220-farmwatch lab FTP server\r\n220 ready\r\n", {
        "AUTH TLS": ("234 AUTH TLS successful\r\n", "tls"),
        "QUIT": ("221 Goodbye.\r\n", "quit"),
    }, "530 Please login with USER and PASS.\r\n", verb=lambda line: " ".join(line.upper().split(" ")[:2]).strip())


def nntp(c, answer):
    dialogue(c, "200 farmwatch lab news server ready\r\n", {
        "CAPABILITIES": ("101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n", None),
        "STARTTLS": ("382 Continue with TLS negotiation\r\n", "tls"),
        "QUIT": ("205 Bye\r\n", "quit"),
    }, "500 Unknown command\r\n")


def sieve(c, answer):
    capabilities = '"IMPLEMENTATION" "farmwatch lab"\r\n"SASL" ""\r\n"SIEVE" "fileinto"\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\nOK\r\n'
    dialogue(c, capabilities, {
        "CAPABILITY": (capabilities, None),
        "STARTTLS": ('OK "Begin TLS negotiation now"\r\n', "tls"),
        "LOGOUT": ('OK "Bye"\r\n', "quit"),
    }, 'NO "unknown command"\r\n')


def xmpp(c, answer):
    c.until(b">")  # the client's <stream:stream ...>
    c.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
           "id='fwlab1' from='chat.lab.example' version='1.0'>"
           "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
           "</stream:features>")
    c.until(b"/>")  # <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
    c.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    c.start_tls()
    c.sock.recv(4096)


def ldap(c, answer):
    def length(n):
        return bytes([n]) if n < 0x80 else b"\x84" + n.to_bytes(4, "big")
    def tlv(tag, body):
        return bytes([tag]) + length(len(body)) + body
    request = c.read(2)
    body = c.read(request[1]) if request[1] < 0x80 else c.read(int.from_bytes(c.read(request[1] & 0x7F), "big"))
    assert body[0] == 0x02 and b"1.3.6.1.4.1.1466.20037" in body
    message_id = body[2:2 + body[1]]
    # ExtendedResponse: resultCode success, matchedDN "", diagnosticMessage "", responseName.
    response = tlv(0x78, b"\x0a\x01\x00" + tlv(0x04, b"") + tlv(0x04, b"") + tlv(0x8A, b"1.3.6.1.4.1.1466.20037"))
    # OpenLDAP writes every length in the 4-byte long form (0x84); so does this answer.
    c.send(tlv(0x30, tlv(0x02, message_id) + response))
    c.start_tls()
    c.sock.recv(4096)


def postgresql(c, answer):
    request = c.read(8)
    assert request == bytes.fromhex("0000000804d2162f"), request
    if answer == "accept":
        c.send(b"S")
        c.start_tls()
        c.sock.recv(4096)
        return
    c.send(b"N")
    startup = c.read(4)
    c.read(int.from_bytes(startup, "big") - 4)
    message = b"SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for this host, no encryption\0\0"
    c.send(b"E" + (len(message) + 4).to_bytes(4, "big") + message)


HANDLERS = {"smtp": smtp, "imap": imap, "pop3": pop3, "ftp": ftp, "nntp": nntp, "sieve": sieve,
            "xmpp": xmpp, "ldap": ldap, "postgresql": postgresql}


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        port = self.server.server_address[1]
        protocol, answers = PLAN[port]
        with lock:
            answer = answers[min(counts[port], len(answers) - 1)]
            counts[port] += 1
        try:
            HANDLERS[protocol](Conn(self.request), answer)
        except (EOFError, ConnectionError, ssl.SSLError, OSError):
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


for port in PLAN:
    server = Server((ADDRESS, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
