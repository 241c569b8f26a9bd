#!/usr/bin/env python3
"""The Python standard library's own STARTTLS clients, one scenario per run, for
scripts/make-starttls-fixtures.sh (the lab's host names resolve to the SERVER address, and each
client sends its host name as SNI):

    starttls_client.py SCENARIO SERVER CA_FILE

  smtp          smtplib: EHLO, STARTTLS, EHLO, QUIT
  smtp-refused  smtplib: EHLO, STARTTLS answered 454, QUIT in the clear
  smtp-plain    smtplib: EHLO (the server advertises STARTTLS), a whole message in the clear
                whose body mentions STARTTLS and a 220 line, QUIT: never upgraded
  imap          imaplib: CAPABILITY, STARTTLS, LOGOUT
  imap-refused  imaplib: CAPABILITY, STARTTLS answered NO, LOGOUT in the clear
  pop3          poplib: CAPA, STLS, QUIT
  ftp           ftplib FTP_TLS, TLS 1.2 (the server's certificates are in the clear): AUTH TLS, QUIT
"""
import imaplib, poplib, smtplib, socket, ssl, sys
from ftplib import FTP_TLS

scenario, server, cafile = sys.argv[1:4]
resolve = socket.getaddrinfo
# The lab's names without a resolver: the clients connect by name (and so send it as SNI).
socket.getaddrinfo = lambda host, *rest, **kw: resolve(server if host.endswith(".lab.example") else host, *rest, **kw)
ctx = ssl.create_default_context(cafile=cafile)

if scenario == "smtp":
    with smtplib.SMTP("mail.lab.example", 25, local_hostname="client.lab.example") as s:
        s.ehlo()
        s.starttls(context=ctx)
        s.ehlo()
elif scenario == "smtp-refused":
    with smtplib.SMTP("mail.lab.example", 587, local_hostname="client.lab.example") as s:
        s.ehlo()
        try:
            s.starttls(context=ctx)
            raise SystemExit("STARTTLS was not refused")
        except smtplib.SMTPResponseException as e:
            assert e.smtp_code == 454, e
elif scenario == "smtp-plain":
    body = ("Subject: STARTTLS notes\r\n\r\nThe server said:\r\n220 2.0.0 Ready to start TLS\r\n"
            "and then the client sent\r\nSTARTTLS\r\n")
    with smtplib.SMTP("mail.lab.example", 25, local_hostname="client.lab.example") as s:
        s.ehlo()
        assert s.has_extn("starttls")
        s.sendmail("alice@lab.example", ["bob@lab.example"], body)
elif scenario == "imap":
    m = imaplib.IMAP4("imap.lab.example", 143)
    m.starttls(ssl_context=ctx)
    m.logout()
elif scenario == "imap-refused":
    m = imaplib.IMAP4("imap.lab.example", 143)
    try:
        m.starttls(ssl_context=ctx)
        raise SystemExit("STARTTLS was not refused")
    except imaplib.IMAP4.error:
        pass
    m.logout()
elif scenario == "pop3":
    p = poplib.POP3("pop.lab.example", 110)
    p.stls(context=ctx)
    p.quit()
elif scenario == "ftp":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    f = FTP_TLS("ftp.lab.example", context=ctx)
    f.auth()
    f.quit()
else:
    raise SystemExit("unknown scenario " + scenario)
