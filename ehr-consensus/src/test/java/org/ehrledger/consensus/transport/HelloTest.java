package org.ehrledger.consensus.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

/** The signed hello that binds a node id to a JGroups address. */
class HelloTest {

    private final NodeKeys keys = KeyPairs.deterministic(7);
    private final NodeKeys other = KeyPairs.deterministic(8);
    private final InetSocketAddress tcp = new InetSocketAddress(InetAddress.getLoopbackAddress(), 7800);

    private Hello hello(int node, long incarnation) {
        return Hello.signed(new NodeCrypto(node, keys, id -> null), "net", Hello.addressOf("net", node, incarnation), tcp,
                incarnation, true);
    }

    @Test
    void aHelloSurvivesTheWireAndVerifiesOnlyUnderItsNodesKey() {
        Hello h = hello(2, 1_000);
        Hello back = Hello.decode(h.encode());
        assertEquals(2, back.node());
        assertEquals("net", back.cluster());
        assertEquals(h.address(), back.address());
        assertEquals(tcp, back.physical());
        assertEquals(1_000, back.incarnation());
        assertTrue(back.wantsAnswer());
        assertTrue(back.verify(keys.publicKeys()));
        assertFalse(back.verify(other.publicKeys()), "another node's key does not verify it");
        assertTrue(back.addressIsDerived());
    }

    @Test
    void everyAlteredByteBreaksTheHello() {
        byte[] frame = hello(2, 1_000).encode();
        for (int i = 0; i < frame.length; i++) {
            byte[] bad = frame.clone();
            bad[i] ^= 0x01;
            boolean rejected;
            try {
                Hello h = Hello.decode(bad);
                rejected = !h.verify(keys.publicKeys()) || !h.addressIsDerived();
            } catch (MalformedMessageException e) {
                rejected = true;
            }
            assertTrue(rejected, "altering byte " + i + " is noticed");
        }
    }

    @Test
    void aHelloCannotNameAnAddressOfAnotherIdOrIncarnation() {
        UUID someone = Hello.addressOf("net", 1, 1_000);
        assertNotEquals(someone, Hello.addressOf("net", 2, 1_000));
        assertNotEquals(someone, Hello.addressOf("net", 1, 1_001));
        assertNotEquals(someone, Hello.addressOf("other", 1, 1_000));
        Hello squatting = Hello.signed(new NodeCrypto(2, keys, id -> null), "net", someone, tcp, 1_000, false);
        assertFalse(Hello.decode(squatting.encode()).addressIsDerived());
    }

    @Test
    void helloesAndPbftFramesAreToldApartByTheirFirstByte() {
        assertTrue(Hello.isHello(hello(0, 1).encode()));
        byte[] pbft = new byte[16];
        pbft[0] = (byte) Envelope.VERSION;
        assertFalse(Hello.isHello(pbft));
        assertFalse(Hello.isHello(new byte[0]));
    }

    @Test
    void truncatedOrPaddedHellosAreMalformed() {
        byte[] frame = hello(2, 1_000).encode();
        assertThrows(MalformedMessageException.class, () -> Hello.decode(Arrays.copyOf(frame, frame.length - 1)));
        assertThrows(MalformedMessageException.class, () -> Hello.decode(Arrays.copyOf(frame, frame.length + 1)));
    }
}
