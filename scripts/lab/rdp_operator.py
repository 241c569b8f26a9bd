#!/usr/bin/env python3
"""A remote operator at a real RDP client: FreeRDP's xfreerdp, driven by xdotool.

Starts xfreerdp on the controller's own X display (an Xvfb), waits for its window, then works
the remote desktop with the same hands as scripts/lab/rfb_operator.py (its `operate`: lines
typed 90-400 ms per key with 1.5-4 s pauses, mouse drags with a move every 15-40 ms and a
click at the end, from a fixed seed), pressed as real X input events on the FreeRDP window,
so FreeRDP turns them into RDP input PDUs and the server answers with screen updates. At the
end it types --final-line (for instance a command that leaves a marker file on the driven
machine, which proves the keystrokes arrived) and closes the client.

    DISPLAY=:72 rdp_operator.py HOST --duration 30 --user U --password P [--final-line CMD]

Exits 0 when the client stayed connected for the whole session; 1 otherwise.
"""
import argparse
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rfb_operator import XK_RETURN, operate  # noqa: E402  (the shared operator's hands)


def xdotool(*args):
    return subprocess.run(["xdotool", *args], check=True, capture_output=True, text=True).stdout


class XdotoolHands:
    """The viewer interface `operate` drives (width, height, error, key, pointer), as X events
    on the FreeRDP window."""

    def __init__(self, client, window):
        self.client = client
        self.window = window
        geometry = dict(line.split("=", 1) for line in xdotool("getwindowgeometry", "--shell", window).split())
        self.width, self.height = int(geometry["WIDTH"]), int(geometry["HEIGHT"])
        self.button_down = False
        self.events_out = 0

    @property
    def error(self):
        code = self.client.poll()
        return None if code is None else f"xfreerdp exited with status {code}"

    def key(self, keysym, down):
        xdotool("keydown" if down else "keyup", f"0x{keysym:x}")   # XTEST, to the focused FreeRDP window
        self.events_out += 1

    def pointer(self, x, y, buttons=0):
        xdotool("mousemove", "--window", self.window, str(x), str(y))
        if buttons & 1 and not self.button_down:
            xdotool("mousedown", "1")
        elif not buttons & 1 and self.button_down:
            xdotool("mouseup", "1")
        self.button_down = bool(buttons & 1)
        self.events_out += 1


def wait_for_window(client, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline and client.poll() is None:
        found = subprocess.run(["xdotool", "search", "--class", "xfreerdp"], capture_output=True, text=True).stdout.split()
        if found:
            return found[0]
        time.sleep(0.2)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=3389)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=3389)
    ap.add_argument("--final-line", default="")
    args = ap.parse_args()

    client = subprocess.Popen(
        ["xfreerdp", f"/v:{args.host}:{args.port}", f"/u:{args.user}", f"/p:{args.password}", "/cert:ignore",
         "/size:1024x768", "/bpp:16", "-clipboard", "-sound", "/log-level:WARN"],
        stdout=sys.stderr, stderr=sys.stderr)
    window = wait_for_window(client, 30)
    if window is None:
        print(f"rdp_operator: no FreeRDP window (client status {client.poll()})", file=sys.stderr)
        client.kill()
        sys.exit(1)
    time.sleep(3.0)                                  # the connection sequence and the first screen
    xdotool("windowfocus", "--sync", window)
    hands = XdotoolHands(client, window)
    print(f"rdp_operator: FreeRDP window {window} {hands.width}x{hands.height}", file=sys.stderr)
    rnd = random.Random(args.seed)
    operate(hands, rnd, time.time() + args.duration)
    for ch in args.final_line:
        hands.key(ord(ch), True)
        hands.key(ord(ch), False)
        time.sleep(rnd.uniform(0.10, 0.30))
    if args.final_line:
        hands.key(XK_RETURN, True)
        hands.key(XK_RETURN, False)
    time.sleep(2.0)
    error = hands.error
    client.terminate()
    try:
        client.wait(timeout=10)
    except subprocess.TimeoutExpired:
        client.kill()
    print(f"rdp_operator: events_out={hands.events_out} error={error}", file=sys.stderr)
    sys.exit(1 if error else 0)


if __name__ == "__main__":
    main()
