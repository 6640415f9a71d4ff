package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * CPU cost of sealing and opening one frame (no network): {@code java -cp … io.steadfast.replication.impl.SealBench}.
 * Prints CPU microseconds per frame (seal + open, one thread's CPU time) for a 4 KiB write and a 1 MiB write, plaintext framing
 * alone as the reference, median of 5 rounds.
 */
public final class SealBench {
    public static void main(String[] args) throws IOException {
        for (int size : new int[]{4096, 1 << 20}) {
            int n = size == 4096 ? 20_000 : 400;
            double[] sealed = new double[5];
            double[] plain = new double[5];
            for (int round = 0; round < 6; round++) {
                double s = run(size, n, true);
                double p = run(size, n, false);
                if (round > 0) { // the first round warms the JIT
                    sealed[round - 1] = s;
                    plain[round - 1] = p;
                }
            }
            Arrays.sort(sealed);
            Arrays.sort(plain);
            System.out.printf("%7d B write op: sealed %.2f µs/frame, plaintext framing %.2f µs/frame (seal+open, "
                    + "CPU time of one thread): +%.2f µs, %.2f GB/s sealed%n", size, sealed[2], plain[2], sealed[2] - plain[2],
                    size / sealed[2] / 1000);
        }
    }

    /** CPU µs per frame written and read back. */
    static double run(int size, int n, boolean seal) throws IOException {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 3);
        SealedChannel tx = new SealedChannel(FrameCipher.sealer(key, 1), FrameCipher.opener(key, 2));
        SealedChannel rx = new SealedChannel(FrameCipher.sealer(key, 2), FrameCipher.opener(key, 1));
        Op op = Op.write("some/dir/file.dat", 0, new byte[size]);
        Pipe pipe = new Pipe(size + 4096);
        java.io.DataOutputStream dout = new java.io.DataOutputStream(pipe.out);
        DataInputStream in = new DataInputStream(pipe.in);
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long t = mx.getCurrentThreadCpuTime(); // CPU time: the machine is shared, wall time is not ours
        for (int i = 0; i < n; i++) {
            pipe.reset();
            if (seal) {
                tx.writeOp(pipe.out, i, Ack.RECEIPT, op);
                rx.read(in);
            } else {
                Wire.writeOp(dout, i, Ack.RECEIPT, op);
                Wire.read(in);
            }
        }
        return (mx.getCurrentThreadCpuTime() - t) / 1e3 / n;
    }

    /** One frame's worth of bytes, written then read. */
    static final class Pipe {
        final byte[] buf;
        int w;
        int r;
        final OutputStream out = new OutputStream() {
            public void write(int b) {
                buf[w++] = (byte) b;
            }

            public void write(byte[] b, int off, int len) {
                System.arraycopy(b, off, buf, w, len);
                w += len;
            }
        };
        final InputStream in = new InputStream() {
            public int read() {
                return r < w ? buf[r++] & 0xff : -1;
            }

            public int read(byte[] b, int off, int len) {
                int k = Math.min(len, w - r);
                if (k <= 0) {
                    return -1;
                }
                System.arraycopy(buf, r, b, off, k);
                r += k;
                return k;
            }
        };

        Pipe(int size) {
            buf = new byte[size];
        }

        void reset() {
            w = 0;
            r = 0;
        }
    }
}
