#!/usr/bin/env python3
"""Type commands into an `ssh -tt` session the way a person would.

Writes to stdout one keystroke at a time, flushing after each, with
keystroke gaps of 90-260 ms and 1.5-3.5 s of "thinking" before each
command. The pseudo-random pauses use a fixed seed, so every run types
the same keystrokes with the same pauses (the network adds its own jitter).

    typist.py [--seed N] | ssh -tt host
"""
import argparse
import os
import random
import sys
import time

# Each entry is what the user types; "\x7f" is a backspace (DEL), fixing a typo.
SCRIPT = [
    "whoami\r",
    "uname -sr\r",
    "dtae\x7f\x7f\x7fate -u\r",
    "cat /etc/debian_version\r",
    "ls /etc | head -5\r",
    "exit\r",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--first-wait", type=float, default=2.0,
                    help="seconds to wait for the login and prompt before typing")
    ap.add_argument("--linger", type=float, default=3.0,
                    help="seconds to keep stdin open after the last keystroke")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out = sys.stdout.buffer
    time.sleep(args.first_wait)
    try:
        for line in SCRIPT:
            time.sleep(rnd.uniform(1.5, 3.5))
            for ch in line:
                out.write(ch.encode())
                out.flush()
                time.sleep(rnd.uniform(0.09, 0.26))
        # keep stdin open so ssh does not send EOF before the server closes
        time.sleep(args.linger)
    except BrokenPipeError:
        pass
    try:
        sys.stdout.close()
    except BrokenPipeError:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
