// A grpc-go server for LoadGen's tests (Debian's golang-google-grpc-dev, grpc-go 1.33, GOPATH mode):
// it serves the lab's Chat method as an echo without generated code — every ClientFrame's seq (field 1)
// comes back as a ServerFrame's seq — with the server options users set in production as flags.
// It prints its port on the first line of stdout and exits when its stdin closes (its parent is gone).
package main

import (
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/keepalive"
)

// raw replaces the proto codec: message bytes pass through untouched.
type raw struct{}

func (raw) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (raw) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = append([]byte(nil), data...); return nil }
func (raw) Name() string                               { return "proto" }

// seqOf reads field 1 (a varint) at the start of a ClientFrame.
func seqOf(frame []byte) uint64 {
	if len(frame) == 0 || frame[0] != 0x08 {
		return 0
	}
	var v uint64
	var shift uint
	for _, b := range frame[1:] {
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
		shift += 7
	}
	return v
}

// reply is a ServerFrame carrying seq.
func reply(seq uint64) []byte {
	out := []byte{0x08}
	for seq >= 0x80 {
		out = append(out, byte(seq)|0x80)
		seq >>= 7
	}
	return append(out, byte(seq))
}

func main() {
	age := flag.Duration("max-connection-age", 0, "keepalive.ServerParameters.MaxConnectionAge")
	grace := flag.Duration("max-connection-age-grace", 0, "keepalive.ServerParameters.MaxConnectionAgeGrace")
	idle := flag.Duration("max-connection-idle", 0, "keepalive.ServerParameters.MaxConnectionIdle")
	minPing := flag.Duration("min-ping-interval", 0, "keepalive.EnforcementPolicy.MinTime")
	permit := flag.Bool("permit-without-stream", false, "keepalive.EnforcementPolicy.PermitWithoutStream")
	maxStreams := flag.Uint("max-concurrent-streams", 0, "grpc.MaxConcurrentStreams")
	stopAfter := flag.Int("stop-replying-after", 0, "answer this many messages per stream, then read on without answering")
	endOk := flag.Duration("end-ok-after", 0, "end every stream with OK this long after it opened")
	flag.Parse()
	encoding.RegisterCodec(raw{})

	sp := keepalive.ServerParameters{MaxConnectionAge: *age, MaxConnectionAgeGrace: *grace, MaxConnectionIdle: *idle}
	opts := []grpc.ServerOption{grpc.KeepaliveParams(sp)}
	if *minPing > 0 {
		opts = append(opts, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: *minPing, PermitWithoutStream: *permit}))
	}
	if *maxStreams > 0 {
		opts = append(opts, grpc.MaxConcurrentStreams(uint32(*maxStreams)))
	}
	opts = append(opts, grpc.UnknownServiceHandler(func(srv interface{}, stream grpc.ServerStream) error {
		var deadline <-chan time.Time
		if *endOk > 0 {
			deadline = time.After(*endOk)
		}
		frames := make(chan []byte)
		errs := make(chan error, 1)
		go func() {
			for {
				var f []byte
				if err := stream.RecvMsg(&f); err != nil {
					errs <- err
					return
				}
				select {
				case frames <- f:
				case <-stream.Context().Done():
					return
				}
			}
		}()
		answered := 0
		for {
			select {
			case <-deadline:
				return nil
			case err := <-errs:
				if err == io.EOF {
					return nil
				}
				return err
			case f := <-frames:
				if *stopAfter > 0 && answered >= *stopAfter {
					continue
				}
				out := reply(seqOf(f))
				if err := stream.SendMsg(&out); err != nil {
					return err
				}
				answered++
			}
		}
	}))

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		ioutil.ReadAll(os.Stdin)
		os.Exit(0)
	}()
	fmt.Println(lis.Addr().(*net.TCPAddr).Port)
	if err := grpc.NewServer(opts...).Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
