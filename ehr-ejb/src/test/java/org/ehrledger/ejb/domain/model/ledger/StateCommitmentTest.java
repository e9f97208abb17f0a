package org.ehrledger.ejb.domain.model.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Test vectors of the EHR-STATE2 commitment (computed independently with Python's hashlib) and its algebra. */
class StateCommitmentTest {

    @Test
    void testVectors() {
        byte[] acc = new byte[StateCommitment.BYTES];
        assertEquals("94fa6918471e53157b4392e5507f8a0464e2782eb2d1973425728805d3a979b3", StateCommitment.digest(acc).hex(),
                "SHA-256(\"EHR-STATE2\" || 2048 zero bytes)");
        byte[] row = StateCommitment.rowDigest("STATE_SEEN_TX", "00ff", new byte[0]);
        assertEquals("74387f252bcf3a91bf4f68a26223ac390a622269abde546ec0ea67c35ee925b9", HexFormat.of().formatHex(row));
        StateCommitment.apply(acc, row, 1);
        assertEquals("b5ab3b5db54a473db01d71aac4260b3bd9ee49f280afa09cd1f32b081995fccc", StateCommitment.digest(acc).hex(),
                "SHA-256(\"EHR-STATE2\" || SHAKE128(row digest, 2048 bytes))");
    }

    @Test
    void rowsAddInAnyOrderAndARemovedRowLeavesNoTrace() {
        byte[] a = StateCommitment.rowDigest("STATE_USER", "u-1", new byte[] {1});
        byte[] b = StateCommitment.rowDigest("STATE_USER", "u-2", new byte[] {2});
        byte[] ab = new byte[StateCommitment.BYTES];
        StateCommitment.apply(ab, a, 1);
        StateCommitment.apply(ab, b, 1);
        byte[] ba = new byte[StateCommitment.BYTES];
        StateCommitment.apply(ba, b, 1);
        StateCommitment.apply(ba, a, 1);
        assertArrayEquals(ab, ba);
        assertArrayEquals(ab, StateCommitment.sum(List.of(acc(a), acc(b))), "tables add up to the whole state");
        StateCommitment.apply(ab, b, -1);
        assertArrayEquals(acc(a), ab);
        assertNotEquals(StateCommitment.digest(acc(a)), StateCommitment.digest(acc(b)));
    }

    private static byte[] acc(byte[] row) {
        byte[] out = new byte[StateCommitment.BYTES];
        StateCommitment.apply(out, row, 1);
        return out;
    }
}
