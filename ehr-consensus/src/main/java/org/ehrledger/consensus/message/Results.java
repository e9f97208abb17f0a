package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.codec.Wire;

/** Encoding of the per-operation results of one request, as carried in a reply. */
public final class Results {

    private Results() {
    }

    /** Encodes the results of a request's operations. */
    public static byte[] encode(List<byte[]> results) {
        int size = 4;
        for (byte[] r : results) {
            size += 4 + r.length;
        }
        Wire.Writer w = new Wire.Writer(size).i32(results.size());
        for (byte[] r : results) {
            w.bytes(r);
        }
        return w.toBytes();
    }

    /** Decodes the results of a request's operations. */
    public static List<byte[]> decode(byte[] encoded) {
        Wire.Reader r = new Wire.Reader(encoded);
        List<byte[]> out = r.list(4, Wire.Reader::bytes);
        r.expectEnd();
        return out;
    }
}
