package org.ehrledger.consensus.codec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Explicit big-endian binary encoding: a growable writer and a bounds-checked reader. */
public final class Wire {

    private Wire() {
    }

    /** Appends primitive values to a growable buffer. */
    public static final class Writer {
        private byte[] buf;
        private int pos;

        /** A writer with an initial capacity. */
        public Writer(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void ensure(int extra) {
            if (pos + extra > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + extra));
            }
        }

        /** Writes one byte. */
        public Writer u8(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
            return this;
        }

        /** Writes a 32-bit integer. */
        public Writer i32(int v) {
            ensure(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
            return this;
        }

        /** Writes a 64-bit integer. */
        public Writer i64(long v) {
            i32((int) (v >>> 32));
            return i32((int) v);
        }

        /** Writes raw bytes without a length prefix. */
        public Writer raw(byte[] b) {
            return raw(b, 0, b.length);
        }

        /** Writes a region of raw bytes without a length prefix. */
        public Writer raw(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
            return this;
        }

        /** Writes a length-prefixed byte string. */
        public Writer bytes(byte[] b) {
            i32(b.length);
            return raw(b);
        }

        /** Writes a byte string that may be absent (length -1). */
        public Writer optionalBytes(byte[] b) {
            if (b == null) {
                return i32(-1);
            }
            return bytes(b);
        }

        /** Writes a 32-byte digest. */
        public Writer digest(Digest d) {
            return raw(d.unsafeBytes());
        }

        /** Number of bytes written so far. */
        public int size() {
            return pos;
        }

        /** The internal buffer (valid up to {@link #size()}). */
        public byte[] buffer() {
            return buf;
        }

        /** A copy of the bytes written. */
        public byte[] toBytes() {
            return Arrays.copyOf(buf, pos);
        }
    }

    /** Reads values written by {@link Writer}; every read is bounds-checked. */
    public static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        /** A reader over the whole array. */
        public Reader(byte[] buf) {
            this(buf, 0, buf.length);
        }

        /** A reader over a region. */
        public Reader(byte[] buf, int offset, int length) {
            this.buf = buf;
            this.pos = offset;
            this.end = offset + length;
        }

        private void need(int n) {
            if (n < 0 || n > end - pos) {
                throw new MalformedMessageException("message truncated: needs " + n + " more bytes at offset " + pos);
            }
        }

        /** Reads one unsigned byte. */
        public int u8() {
            need(1);
            return buf[pos++] & 0xff;
        }

        /** Reads a 32-bit integer. */
        public int i32() {
            need(4);
            int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
                    | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        /** Reads a 64-bit integer. */
        public long i64() {
            return ((long) i32() << 32) | (i32() & 0xffffffffL);
        }

        /** Reads a non-negative 64-bit integer. */
        public long u63(String what) {
            long v = i64();
            if (v < 0) {
                throw new MalformedMessageException(what + " is negative");
            }
            return v;
        }

        /** Reads a presence flag: exactly 0 or 1. */
        public boolean flag() {
            int v = u8();
            if (v > 1) {
                throw new MalformedMessageException("presence flag " + v);
            }
            return v == 1;
        }

        /** Reads a count of items, each at least {@code minItemBytes} long, bounded by what remains. */
        public int count(int minItemBytes) {
            int n = i32();
            if (n < 0 || (long) n * Math.max(1, minItemBytes) > remaining()) {
                throw new MalformedMessageException("implausible item count " + n);
            }
            return n;
        }

        /** Reads raw bytes of a known length. */
        public byte[] raw(int len) {
            need(len);
            byte[] b = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return b;
        }

        /** Reads a length-prefixed byte string. */
        public byte[] bytes() {
            int len = i32();
            if (len < 0) {
                throw new MalformedMessageException("negative length");
            }
            return raw(len);
        }

        /** Reads a byte string that may be absent. */
        public byte[] optionalBytes() {
            int len = i32();
            if (len == -1) {
                return null;
            }
            if (len < 0) {
                throw new MalformedMessageException("negative length");
            }
            return raw(len);
        }

        /** Reads a 32-byte digest. */
        public Digest digest() {
            need(Digest.LENGTH);
            Digest d = Digest.read(buf, pos);
            pos += Digest.LENGTH;
            return d;
        }

        /** Current offset. */
        public int position() {
            return pos;
        }

        /** Bytes left. */
        public int remaining() {
            return end - pos;
        }

        /** Fails unless every byte was consumed. */
        public void expectEnd() {
            if (pos != end) {
                throw new MalformedMessageException((end - pos) + " trailing bytes");
            }
        }

        /** Reads a list of items with a per-item decoder. */
        public <T> List<T> list(int minItemBytes, java.util.function.Function<Reader, T> item) {
            int n = count(minItemBytes);
            List<T> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(item.apply(this));
            }
            return out;
        }
    }
}
