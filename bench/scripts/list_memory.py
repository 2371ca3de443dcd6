#!/usr/bin/env python3
"""Bytes per list element on a running server: used_memory after, minus before, loading
one list of 1,000,000 elements, then 100,000 lists of 10 (elements val0..val999999).
For a JVM node pass its pid: a full GC (jcmd <pid> GC.run, twice) precedes each reading.
Usage: list_memory.py <port> [<pid>]   (needs python3-redis; FLUSHALLs the server)."""
import os, redis, subprocess, sys, time
def used(r):
    return int(r.info('memory')['used_memory'])
def gc(pid):
    if pid: subprocess.run([os.environ.get('JCMD', 'jcmd'), str(pid), 'GC.run'], capture_output=True); time.sleep(1)
def run(port, pid, shape):
    r = redis.Redis(port=port)
    r.flushall(); gc(pid); gc(pid)
    before = used(r)
    if shape == 'one':
        n = 1_000_000
        for b in range(0, n, 1000):
            r.rpush('L', *[f'val{i}' for i in range(b, b + 1000)])
        elements = n
    else:
        p = r.pipeline(transaction=False)
        for k in range(100_000):
            p.rpush(f'list:{k}', *[f'val{i}' for i in range(10)])
            if k % 1000 == 999: p.execute()
        p.execute()
        elements = 1_000_000
    gc(pid); gc(pid)
    after = used(r)
    return (after - before) / elements
port, pid = int(sys.argv[1]), (int(sys.argv[2]) if len(sys.argv) > 2 else None)
for shape in ['one', 'many']:
    print(shape, round(run(port, pid, shape), 1), 'bytes/element')
