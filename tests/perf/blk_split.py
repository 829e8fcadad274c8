#!/usr/bin/env python3
"""blk_split: where one virtio-blk request's time goes on the host.

Runs the benchmark guest's disk-rand-read (queue depth 1) under vmm with
perf recording the host side of each request, and prints the median of
each step between the guest's notify write and the next one:

  mmio    the notify write reaches KVM (kvm:kvm_mmio, len 2): the ioeventfd
  wake    the device's worker thread is woken (sched:sched_wakeup)
  pollx   it returns from poll(2)
  rd0/rd1 its preadv(2) starts / ends (the I/O itself)
  msi     the completion's irqfd injects the MSI (kvm:kvm_msi_set_irq)
  back    the vCPU thread runs again (sched:sched_switch), if it had to stop
  eoi     the guest's handler writes the LAPIC EOI (kvm:kvm_mmio 0xfee000b0)
  next    the guest's next notify write

Needs root and perf (Debian package linux-perf); not part of `make test`.

    python3 tests/perf/blk_split.py [--build build] [--ios 3000]
        [--wait irq|poll] [--bs 4K] [--cpu N] [--io-cpu M] [--size 8M]
        [--cmdline "run disk-seq-read total=64M"]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

EVENTS = ["kvm:kvm_mmio", "kvm:kvm_msi_set_irq", "sched:sched_wakeup", "sched:sched_switch",
          "syscalls:sys_enter_preadv", "syscalls:sys_exit_preadv", "syscalls:sys_exit_poll"]
STEPS = ["mmio", "wake", "pollx", "rd0", "rd1", "msi", "back", "eoi", "next"]
LINE = re.compile(r"\s*\S+\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)")


M64 = (1 << 64) - 1


def mix(z):
    """splitmix64's finaliser, as src/bench/diskpat.h."""
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def pattern(size):
    """Generation 0 of the image pattern (diskpat.h), so the reads pass."""
    mid = [mix((w << 32) ^ 0x66696c6c) for w in range(64)]
    out = bytearray()
    for s in range(size // 512):
        head = mix(s ^ 0x6469736b00000000)
        words = [head] + mid[1:63] + [~mix(head) & M64]
        out += b"".join(w.to_bytes(8, "little") for w in words)
    return bytes(out)


def requests(script):
    """One dict per request: step -> host time in us."""
    out, cur = [], None
    for line in script.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        pid, t, name, rest = int(m.group(1)), float(m.group(3)) * 1e6, m.group(4), m.group(5)
        if name == "kvm:kvm_mmio" and "write len 2" in rest:
            if cur:
                cur["next"] = t
                out.append(cur)
            cur = {"mmio": t, "vcpu": pid}
            continue
        if cur is None:
            continue
        for step, ev in (("wake", "sched:sched_wakeup"), ("pollx", "syscalls:sys_exit_poll"),
                         ("rd0", "syscalls:sys_enter_preadv"),
                         ("rd1", "syscalls:sys_exit_preadv"), ("msi", "kvm:kvm_msi_set_irq")):
            if name == ev and step not in cur:
                cur[step] = t
        if name == "kvm:kvm_mmio" and "fee000b0" in rest and "eoi" not in cur:
            cur["eoi"] = t
        if (name == "sched:sched_switch" and "rd1" in cur and "back" not in cur
                and "next_pid=%d" % cur["vcpu"] in rest):
            cur["back"] = t
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--ios", type=int, default=3000)
    ap.add_argument("--wait", default="irq", choices=["irq", "poll"])
    ap.add_argument("--bs", default="4K")
    ap.add_argument("--cpu", type=int, default=1, help="pin vmm (vCPU and worker) here; -1: no")
    ap.add_argument("--io-cpu", type=int, default=-1,
                    help="with --cpu: the worker on this CPU (vmm --io-cpus), the vCPU on --cpu")
    ap.add_argument("--cmdline", help="the guest's command line instead (e.g. run disk-seq-read)")
    ap.add_argument("--size", default="8M", help="image size (K/M suffix)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="blk-split-") as d:
        img = os.path.join(d, "disk.img")
        with open(img, "wb") as f:
            f.write(pattern(int(a.size[:-1]) << (10 if a.size[-1] in "kK" else 20)))
        data = os.path.join(d, "perf.data")
        cmd = ["perf", "record", "-q", "-o", data]
        for e in EVENTS:
            cmd += ["-e", e]
        if a.cpu >= 0:
            cmd += ["taskset", "-c", str(a.cpu) + ("," + str(a.io_cpu) if a.io_cpu >= 0 else "")]
        cmd += [os.path.join(a.build, "vmm"), "run", "--kernel",
                os.path.join(a.build, "guest/benchguest.elf"), "--disk", img]
        if a.cpu >= 0 and a.io_cpu >= 0:
            cmd += ["--io-cpus", str(a.io_cpu)]
        cmd += ["--cmdline",
                a.cmdline or "run disk-rand-read ios=%d wait=%s bs=%s" % (a.ios, a.wait, a.bs)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(r'"(p50)":([\d.]+)', r.stdout) or re.search(r'"(value)":([\d.]+)', r.stdout)
        print("guest: %s" % ("%s %s" % m.groups() if m else r.stdout.strip()[-200:]))
        script = subprocess.run(["perf", "script", "-i", data], capture_output=True,
                                text=True).stdout
    reqs = requests(script)
    print("requests traced: %d" % len(reqs))
    prev = "mmio"
    for step in STEPS[1:]:
        d = [q[step] - q[prev] for q in reqs if step in q and prev in q]
        if len(d) > len(reqs) // 2:
            print("  %-5s -> %-5s median %6.1f us" % (prev, step, statistics.median(d)))
            prev = step
    if reqs:
        c = sorted(q["next"] - q["mmio"] for q in reqs)
        print("  cycle        median %6.1f us, mean %.1f, p90 %.1f, p99 %.1f, max %.1f"
              % (statistics.median(c), statistics.mean(c), c[len(c) * 9 // 10],
                 c[len(c) * 99 // 100], c[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
