"""Load on loopback: rounds of concurrent /analyze calls against `python app.py`.

    python -m benchmarks.load [--rounds 5] [--concurrency 8] [--weights default] [--json]

Starts the app on a free 127.0.0.1 port, sends `--rounds` rounds of `--concurrency` simultaneous
calls through gradio_client on a generated clip, checks every answer equals the clip analysed
alone, and prints per-round latency and the server's resident memory (VmRSS) after each round,
so a leak shows as growth. Bounded: it stops after the rounds, and kills the server.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lda_model.arguments import positive_int

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--points", type=positive_int, default=16)
    p.add_argument("--weights", default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from gradio_client import Client, handle_file

    from lda_model.data.animation import make_face_clip

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "LDA_QUEUE_MAX_SIZE": str(max(16, args.concurrency * 2))}
    if args.weights:
        env["LDA_WEIGHTS"] = args.weights
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    out = {"concurrency": args.concurrency, "rounds": []}
    try:
        deadline = time.time() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("error: the app did not start")
                time.sleep(0.5)
        with tempfile.TemporaryDirectory() as tmp:
            clip = make_face_clip(Path(tmp) / "load.mp4", num_frames=75)
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            alone = client.predict(handle_file(str(clip)), args.points, api_name="/analyze")[0]
            out["rss_mb_start"] = round(rss_mb(server.pid), 1)
            for r in range(args.rounds):
                t = time.time()
                jobs = [client.submit(handle_file(str(clip)), args.points, api_name="/analyze")
                        for _ in range(args.concurrency)]
                results = [j.result(timeout=600)[0] for j in jobs]
                same = all(x["fake_probability"] == alone["fake_probability"] for x in results)
                out["rounds"].append({"round": r, "seconds": round(time.time() - t, 2), "all_equal": same,
                                      "rss_mb": round(rss_mb(server.pid), 1)})
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))
    return 0 if all(r["all_equal"] for r in out["rounds"]) else 1


if __name__ == "__main__":
    sys.exit(main())
