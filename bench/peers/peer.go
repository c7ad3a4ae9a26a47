// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// The Go peer of the event-path benchmark: cilium/ebpf reading the same ring buffer the way its
// examples do (ringbuf.Reader, Read(), binary.Read into a struct), speaking consumer.c's
// protocol:
//
//	peer-go OBJECT.bpf.o drain|live PID N [RING_BYTES]
//
// Prints READY once attached. drain: waits for a line on stdin, then reads the N waiting
// records; live: reads until N records arrived or SIGINT. The last line on stdout is JSON:
// events, seconds, cpu_seconds, gaps, max_rss_kb.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
)

// event mirrors bench/events/event.h (64 bytes, no padding).
type event struct {
	Pid   uint32
	Tid   uint32
	Ts    uint64
	Comm  [16]byte
	Seq   uint64
	Arg0  uint64
	Cpu   uint32
	Flags uint32
	Extra uint64
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "peer-go: %s: %v\n", what, err)
	os.Exit(1)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func maxRssKb() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: peer-go OBJECT drain|live PID N [RING_BYTES]")
		os.Exit(2)
	}
	mode := os.Args[2]
	pid, _ := strconv.Atoi(os.Args[3])
	n, _ := strconv.ParseUint(os.Args[4], 10, 64)
	spec, err := ebpf.LoadCollectionSpec(os.Args[1])
	if err != nil {
		die("load spec", err)
	}
	if err := spec.RewriteConstants(map[string]interface{}{"target_pid": uint32(pid)}); err != nil {
		die("target_pid", err)
	}
	if len(os.Args) > 5 {
		ring, _ := strconv.ParseUint(os.Args[5], 10, 32)
		spec.Maps["rb"].MaxEntries = uint32(ring)
	}
	var objs struct {
		Prog *ebpf.Program `ebpf:"bench_getpid"`
		Rb   *ebpf.Map     `ebpf:"rb"`
	}
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		die("load", err)
	}
	tp, err := link.Tracepoint("syscalls", "sys_enter_getpid", objs.Prog, nil)
	if err != nil {
		die("attach", err)
	}
	defer tp.Close()
	rd, err := ringbuf.NewReader(objs.Rb)
	if err != nil {
		die("ringbuf", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		rd.Close()
	}()
	fmt.Println("READY")
	if mode == "drain" {
		bufio.NewReader(os.Stdin).ReadString('\n')
		// Everything is waiting: a reader that finds less than N gives up after a while.
		go func() {
			time.Sleep(60 * time.Second)
			rd.Close()
		}()
	}
	var events, gaps, nextSeq, touched uint64
	cpu0 := cpuSeconds()
	t0 := time.Now()
	for events < n {
		record, err := rd.Read()
		if err != nil {
			if errors.Is(err, ringbuf.ErrClosed) {
				break
			}
			die("read", err)
		}
		var e event
		if err := binary.Read(bytes.NewBuffer(record.RawSample), binary.LittleEndian, &e); err != nil {
			continue
		}
		if e.Seq > nextSeq {
			gaps += e.Seq - nextSeq
		}
		nextSeq = e.Seq + 1
		touched += uint64(e.Pid) + uint64(e.Tid) + uint64(e.Cpu) + uint64(e.Comm[0]) + e.Ts
		events++
	}
	seconds := time.Since(t0).Seconds()
	fmt.Printf("{\"events\":%d,\"seconds\":%f,\"cpu_seconds\":%f,\"gaps\":%d,\"touched\":%d,\"max_rss_kb\":%d}\n",
		events, seconds, cpuSeconds()-cpu0, gaps, touched%1000, maxRssKb())
}
