"""cmdb.objects.read of 1 000 servers and its floor, timed call by call in turn: on a machine that
others load, the API's calls and the floor's see the same load, where bench/idoit.py times them
seconds apart (the floor after the server has stopped) and a burst of other work lands on one side.

Each round: one call through the real HTTP server (the answer parsed, as a client does), then the
floor of the same page (bench/idoit_floor.objects_read, in this process, while the server idles).
The floor's answer is first checked equal to the API's. Prints both p50s, their ratio, and the
median of the rounds' own ratios, with the load average.

    python -m bench.idoit_paired --objects 100000 --rounds 200        # on a database bench.idoit built
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

import orjson

from bench import idoit_floor
from bench.idoit import default_url, load_setup, rpc_client, workload
from bench.server import running_server


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or default_url(args.objects)
    setup = load_setup(url)
    offsets = workload(setup, 100).objects_offsets  # the pages bench.idoit reads
    db = idoit_floor.Db(url)
    gc.collect()
    gc.freeze()  # as bench.idoit: no full collection of this process's heap inside a timed call
    api_ms: list[float] = []
    floor_ms: list[float] = []
    with running_server(url) as server, rpc_client(server.base_url, setup.apikey) as rpc:

        def page(offset: int) -> object:
            return rpc.call("cmdb.objects.read", {"filter": {"type": "C__OBJTYPE__SERVER"}, "limit": f"{offset},1000"})

        if orjson.loads(idoit_floor.objects_read(db, setup.organization_id, offsets[0]))["result"] != page(offsets[0]):
            raise SystemExit("the floor answers differently from the API")
        for offset in offsets[:3]:  # warm both
            page(offset)
            idoit_floor.objects_read(db, setup.organization_id, offset)
        for n in range(args.rounds):
            offset = offsets[n % len(offsets)]
            started = time.perf_counter()
            page(offset)
            api_ms.append(_ms(started))
            started = time.perf_counter()
            idoit_floor.objects_read(db, setup.organization_id, offset)
            floor_ms.append(_ms(started))
    db.close()
    api, floor = statistics.median(api_ms), statistics.median(floor_ms)
    paired = statistics.median(a / f for a, f in zip(api_ms, floor_ms, strict=True))
    load = os.getloadavg()
    print(f"cmdb.objects.read of 1 000, {args.rounds} rounds, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}: "
          f"API p50 {api:.2f} ms, floor p50 {floor:.2f} ms, ratio of p50s {api / floor:.2f}×, "
          f"median ratio of a round {paired:.2f}×")


if __name__ == "__main__":
    main()
