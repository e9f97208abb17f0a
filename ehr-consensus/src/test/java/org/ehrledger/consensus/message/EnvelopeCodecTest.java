package org.ehrledger.consensus.message;

import static org.ehrledger.consensus.TestNodes.CLIENT;
import static org.ehrledger.consensus.TestNodes.digestOf;
import static org.ehrledger.consensus.TestNodes.encode;
import static org.ehrledger.consensus.TestNodes.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.ehrledger.consensus.TestNodes;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.BatchContent;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.FetchBatch;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.MessageType;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.StateRequest;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.codec.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The authenticated wire frame: every message type round-trips; every malformed frame is a typed error. */
class EnvelopeCodecTest {

    private static final TestNodes NODES = new TestNodes();
    private static final int HEADER = 10;
    private static final int SENDER = 1;
    private static final int RECEIVER = 2;

    /** One or more representative instances of every message type, including optional parts absent. */
    static List<Message> samples() {
        TestNodes t = NODES;
        Request r1 = t.request(1, "put a");
        Request r2 = t.request(2, "");
        Batch batch = t.batch(1_700_000_000_000L, r1, r2);
        PrePrepare pp = t.prePrepare(0, 1, batch);
        PreparedProof proof = t.preparedProof(1, 9, batch.digest(), 2, 3);
        ViewChange vc1 = t.viewChange(2, 1, 8, List.of(proof));
        ViewChange vc2 = t.viewChange(2, 2, 8, List.of());
        ViewChange vc3 = t.viewChange(2, 3, 0, List.of());
        NewView nv = t.newView(2, List.of(vc1, vc2, vc3), List.of(t.header(2, 9, batch.digest())));
        CommittedBatch cb = new CommittedBatch(pp, List.of(t.commit(0, 1, batch.digest(), 0),
                t.commit(0, 1, batch.digest(), 1), t.commit(0, 1, batch.digest(), 2)));
        return List.of(
                r1,
                r2,
                pp,
                pp.header(),
                t.prePrepare(0, 2, Batch.NULL),
                t.prepare(0, 1, batch.digest(), 1),
                t.commit(0, 1, batch.digest(), 1),
                new ReplyBatch(1, 3, CLIENT, List.of(new ReplyBatch.Reply(1, utf8("ok")),
                        new ReplyBatch.Reply(2, new byte[0]))),
                new ReplyBatch(1, 0, CLIENT, List.of()),
                t.checkpoint(8, TestNodes.stateAt(8), 1),
                vc1,
                vc3,
                nv,
                new StateRequest(17, 2),
                new StateResponse(2, 8, t.checkpointProof(8, digestOf("snap"), 0, 1, 2), utf8("snap"), List.of(cb), nv),
                new StateResponse(0, 0, List.of(), null, List.of(), null),
                new FetchBatch(batch.digest()),
                new BatchContent(batch),
                new BatchContent(Batch.NULL));
    }

    static Stream<Arguments> everySample() {
        return samples().stream().map(m -> Arguments.of(m.type(), m));
    }

    /** A sender that may legitimately send the message (clients send requests, replicas the rest). */
    private static int senderOf(Message m) {
        return m instanceof Request ? CLIENT : SENDER;
    }

    private static byte[] seal(Message m, int from, int to) {
        return Envelope.seal(NODES.crypto(from), m).to(to);
    }

    private static byte[] validFrame(Message m) {
        return seal(m, senderOf(m), RECEIVER);
    }

    private static NodeCrypto receiver() {
        return NODES.crypto(RECEIVER);
    }

    /** Recomputes the MAC so a deliberately altered frame reaches the decoders of the receiver. */
    private static byte[] remac(NodeCrypto sender, byte[] frame) {
        int macAt = frame.length - NodeCrypto.MAC_LENGTH;
        int receiver = new Wire.Reader(frame, 6, 4).i32();
        byte[] mac = sender.mac(receiver, frame, 0, macAt);
        if (mac != null) {
            System.arraycopy(mac, 0, frame, macAt, mac.length);
        }
        return frame;
    }

    /** A frame with a valid MAC from {@code from} to {@link #RECEIVER} around arbitrary header fields and body. */
    private static byte[] craft(int version, int tag, int from, byte[] body) {
        Wire.Writer w = new Wire.Writer(64);
        w.u8(version).u8(tag).i32(from).i32(RECEIVER).raw(body).raw(new byte[NodeCrypto.MAC_LENGTH]);
        return remac(NODES.crypto(from), w.toBytes());
    }

    private static byte[] craft(int tag, byte[] body) {
        return craft(Envelope.VERSION, tag, SENDER, body);
    }

    private static MalformedMessageException rejected(byte[] frame) {
        return assertThrows(MalformedMessageException.class, () -> Envelope.open(receiver(), frame));
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void theSamplesCoverEveryMessageType() {
        Set<MessageType> covered = EnumSet.noneOf(MessageType.class);
        samples().forEach(m -> covered.add(m.type()));
        assertEquals(EnumSet.allOf(MessageType.class), covered);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everySample")
    void everyMessageTypeRoundTripsThroughSealAndOpen(MessageType type, Message sent) {
        byte[] frame = validFrame(sent);
        assertNotNull(frame);

        Envelope opened = Envelope.open(receiver(), frame);

        assertEquals(senderOf(sent), opened.sender());
        assertEquals(RECEIVER, opened.receiver());
        assertSame(sent.getClass(), opened.message().getClass());
        assertEquals(type, opened.message().type());
        assertArrayEquals(encode(sent), encode(opened.message()), "decoded message re-encodes identically");
        assertEquals(type.tag(), frame[1] & 0xff, "type tag on the wire");
        assertEquals(senderOf(sent), Envelope.claimedSender(frame));
    }

    @Test
    void decodedFieldsEqualTheSentFields() {
        Request r = NODES.request(42, "hello");
        Request back = (Request) Envelope.open(receiver(), validFrame(r)).message();
        assertEquals(CLIENT, back.clientId());
        assertEquals(42, back.timestamp());
        assertArrayEquals(utf8("hello"), back.operation());
        assertArrayEquals(r.signature(), back.signature());
        assertEquals(r.digest(), back.digest());

        Batch b = NODES.batch(5, r, NODES.request(43, "x"));
        PrePrepare pp = (PrePrepare) Envelope.open(receiver(), validFrame(NODES.prePrepare(0, 3, b))).message();
        assertEquals(0, pp.view());
        assertEquals(3, pp.sequence());
        assertEquals(b.digest(), pp.digest());
        assertNotNull(pp.batch());
        assertEquals(b.digest(), pp.batch().digest(), "batch digest recomputed from decoded requests");
        assertEquals(2, pp.batch().requests().size());

        PrePrepare header = (PrePrepare) Envelope.open(receiver(), validFrame(pp.header())).message();
        assertNull(header.batch());

        StateResponse sr = (StateResponse) Envelope.open(receiver(),
                validFrame(new StateResponse(3, 0, List.of(), null, List.of(), null))).message();
        assertNull(sr.snapshot());
        assertNull(sr.latestNewView());
        assertEquals(3, sr.view());

        assertEquals(new StateRequest(17, 2), Envelope.open(receiver(), validFrame(new StateRequest(17, 2))).message());
        FetchBatch fb = new FetchBatch(b.digest());
        assertEquals(fb, Envelope.open(receiver(), validFrame(fb)).message());
    }

    @Test
    void aSealedMessageCanBeAddressedToEveryReplicaAndEachOpensOnlyItsOwn() {
        Message m = NODES.prepare(0, 1, digestOf("d"), 1);
        Envelope.Sealed sealed = Envelope.seal(NODES.crypto(1), m);
        for (int to : new int[] {0, 2, 3, CLIENT}) {
            byte[] frame = sealed.to(to);
            Envelope e = Envelope.open(NODES.crypto(to), frame);
            assertEquals(to, e.receiver());
            assertArrayEquals(encode(m), encode(e.message()));
            for (int other : new int[] {0, 2, 3, CLIENT}) {
                if (other != to) {
                    assertThrows(MalformedMessageException.class, () -> Envelope.open(NODES.crypto(other), frame));
                }
            }
        }
    }

    @Test
    void aReplyToTheClientRoundTrips() {
        ReplyBatch reply = new ReplyBatch(3, 1, CLIENT, List.of(new ReplyBatch.Reply(9, utf8("result"))));
        Envelope e = Envelope.open(NODES.client, seal(reply, 3, CLIENT));
        ReplyBatch back = (ReplyBatch) e.message();
        assertEquals(3, e.sender());
        assertEquals(3, back.replica());
        assertEquals(1, back.view());
        assertEquals(9, back.replies().get(0).timestamp());
        assertArrayEquals(utf8("result"), back.replies().get(0).result());
    }

    @Test
    void sealingForAnUnknownReceiverYieldsNoFrame() {
        Envelope.Sealed sealed = Envelope.seal(NODES.crypto(1), new StateRequest(0, 0));
        assertNull(sealed.to(4));
        assertNull(sealed.to(5000));
    }

    // ---------------------------------------------------------------- malformed frames

    @ParameterizedTest(name = "{0}")
    @MethodSource("everySample")
    void truncatedFrameIsRejectedWithATypedError(MessageType type, Message m) {
        byte[] frame = validFrame(m);
        for (int len = 0; len < frame.length; len++) {
            rejected(Arrays.copyOf(frame, len));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everySample")
    void aFlippedByteAnywhereIsRejectedWithATypedError(MessageType type, Message m) {
        byte[] frame = validFrame(m);
        for (int i = 0; i < frame.length; i++) {
            byte[] bad = frame.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            rejected(bad);
        }
    }

    @Test
    void aFlippedBodyByteFailsTheMacCheckBeforeDecoding() {
        byte[] frame = validFrame(NODES.request(1, "abc"));
        frame[HEADER + 3] ^= 1;
        assertTrue(rejected(frame).getMessage().contains("bad MAC"));
    }

    @Test
    void aFrameForAnotherReceiverIsRejected() {
        byte[] forThree = seal(NODES.request(1, "x"), CLIENT, 3);
        assertTrue(rejected(forThree).getMessage().contains("delivered to " + RECEIVER));
    }

    @Test
    void aFrameReaddressedToAnotherReceiverFailsItsMac() {
        byte[] frame = seal(new StateRequest(1, 1), SENDER, 3);
        frame[9] = RECEIVER; // receiver field 3 -> 2
        assertTrue(rejected(frame).getMessage().contains("bad MAC"));
    }

    @Test
    void aFrameClaimingAnotherSenderFailsItsMac() {
        byte[] frame = seal(new StateRequest(1, 1), SENDER, RECEIVER);
        frame[5] = 3; // sender field 1 -> 3
        assertTrue(rejected(frame).getMessage().contains("bad MAC"));
    }

    @Test
    void aFrameFromAnUnknownSenderIsRejected() {
        byte[] frame = seal(new StateRequest(1, 1), SENDER, RECEIVER);
        frame[2] = 0x10; // sender 0x10000001, unknown: no link key
        rejected(frame);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 13, 99, 255})
    void anUnknownTypeTagIsRejectedEvenWithAValidMac(int tag) {
        byte[] body = encode(new StateRequest(1, 1));
        assertTrue(rejected(craft(tag, body)).getMessage().contains("unknown message type"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 255})
    void anUnsupportedVersionIsRejected(int version) {
        byte[] frame = craft(version, MessageType.STATE_REQUEST.tag(), SENDER, encode(new StateRequest(1, 1)));
        assertTrue(rejected(frame).getMessage().contains("version"));
    }

    @Test
    void theCraftingHelperProducesFramesTheReceiverAccepts() {
        // Guards the tests below: their frames fail for the reason under test, not for a bad MAC.
        Envelope e = Envelope.open(receiver(), craft(MessageType.STATE_REQUEST.tag(), encode(new StateRequest(4, 5))));
        assertEquals(new StateRequest(4, 5), e.message());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everySample")
    void trailingBytesAfterTheBodyAreRejected(MessageType type, Message m) {
        byte[] body = encode(m);
        for (int extra : new int[] {1, 4, 33}) {
            byte[] longer = Arrays.copyOf(body, body.length + extra);
            NodeCrypto from = NODES.crypto(senderOf(m));
            byte[] frame = craft(Envelope.VERSION, type.tag(), from.id(), longer);
            assertTrue(rejected(frame).getMessage().contains("trailing"), type + " +" + extra);
        }
    }

    @Test
    void aBodyOfTheWrongTypeIsRejected() {
        // A checkpoint body labelled as a view change.
        byte[] body = encode(NODES.checkpoint(8, TestNodes.stateAt(8), 1));
        rejected(craft(MessageType.VIEW_CHANGE.tag(), body));
        rejected(craft(MessageType.REQUEST.tag(), encode(new StateRequest(1, 1))));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, Integer.MIN_VALUE, 1_000_000, 1 << 30})
    void anAbsurdListCountIsRejected(int count) {
        // View change: newView, replica, stable, checkpoint count, prepared count, signature.
        byte[] body = new Wire.Writer(64).i64(1).i32(1).i64(0).i32(count).i32(0).bytes(new byte[64]).toBytes();
        assertTrue(rejected(craft(MessageType.VIEW_CHANGE.tag(), body)).getMessage().contains("count"));

        ReplyBatch reply = new ReplyBatch(1, 0, CLIENT, List.of(new ReplyBatch.Reply(1, utf8("r"))));
        byte[] replyBody = encode(reply);
        patchI32(replyBody, 4 + 8 + 4, count); // the count follows replica, view and client
        rejected(craft(MessageType.REPLY.tag(), replyBody));
    }

    @Test
    void aListCountOneMoreThanTheItemsPresentIsRejected() {
        List<Checkpoint> proof = NODES.checkpointProof(8, TestNodes.stateAt(8), 0, 1, 2);
        byte[] body = encode(NODES.viewChange(1, 1, 8, proof, List.of()));
        patchI32(body, 8 + 4 + 8, 4); // 3 checkpoints present, count says 4
        rejected(craft(MessageType.VIEW_CHANGE.tag(), body));
    }

    @ParameterizedTest
    @ValueSource(ints = {-2, -1, Integer.MIN_VALUE, 77, 4096, Envelope.MAX_FRAME + 1, 1 << 30})
    void anOversizedOrNegativeLengthPrefixIsRejected(int length) {
        // Request body: client, timestamp, operation length at offset 12; 76 bytes follow it, so 77 is one too many.
        byte[] body = encode(NODES.request(1, "abcdefgh"));
        patchI32(body, 12, length);
        rejected(craft(MessageType.REQUEST.tag(), body));
    }

    /** A length prefix near Integer.MAX_VALUE must not overflow the bounds check (it once did). */
    @ParameterizedTest
    @ValueSource(ints = {Integer.MAX_VALUE, Integer.MAX_VALUE - 5, Integer.MAX_VALUE - 20})
    void aLengthPrefixNearIntMaxIsRejectedWithATypedError(int length) {
        byte[] body = encode(NODES.request(1, "abcdefgh"));
        patchI32(body, 12, length);
        byte[] frame = craft(MessageType.REQUEST.tag(), body);
        // Caught by hand: assertThrows would rethrow the OutOfMemoryError and take down the test JVM.
        try {
            Envelope.open(receiver(), frame);
            fail("accepted a length prefix of " + length);
        } catch (MalformedMessageException expected) {
            // the contract
        } catch (Throwable t) {
            fail("expected MalformedMessageException, got " + t, t);
        }
    }

    /** Presence flags decode strictly (0 or 1), so every message has exactly one encoding. */
    @ParameterizedTest
    @ValueSource(ints = {2, 7, 255})
    void aPresenceFlagOtherThanZeroOrOneIsRejected(int flag) {
        byte[] header = encode(NODES.header(0, 1, digestOf("d")));
        header[header.length - 1] = (byte) flag;
        rejected(craft(MessageType.PRE_PREPARE.tag(), header));
        byte[] response = encode(new StateResponse(0, 0, List.of(), null, List.of(), null));
        response[response.length - 1] = (byte) flag;
        rejected(craft(MessageType.STATE_RESPONSE.tag(), response));
    }

    @Test
    void anOptionalSnapshotWithAnImpossibleNegativeLengthIsRejected() {
        byte[] body = encode(new StateResponse(0, 0, List.of(), null, List.of(), null));
        patchI32(body, 8 + 8 + 4, -2); // snapshot length: only -1 means absent
        rejected(craft(MessageType.STATE_RESPONSE.tag(), body));
    }

    @Test
    void aNegativeViewOrSequenceIsRejected() {
        byte[] body = encode(NODES.prepare(0, 1, digestOf("d"), 1));
        patchI32(body, 0, 0x80000000); // view < 0
        assertTrue(rejected(craft(MessageType.PREPARE.tag(), body)).getMessage().contains("negative"));
        rejected(craft(MessageType.STATE_REQUEST.tag(), new Wire.Writer(16).i64(-1).i64(0).toBytes()));
    }

    @Test
    void aPreparedProofCarryingABatchIsRejected() {
        Batch b = NODES.batch(1, NODES.request(1, "x"));
        PreparedProof proof = NODES.preparedProof(0, 1, b.digest(), 1, 2);
        // Hand-encode the proof with the full pre-prepare (the record's encoder would strip the batch).
        Wire.Writer w = new Wire.Writer(512);
        w.i64(1).i32(1).i64(0).i32(0).i32(1);
        proof.prePrepare().withBatch(b).encode(w);
        w.i32(proof.prepares().size());
        proof.prepares().forEach(p -> p.encode(w));
        w.bytes(new byte[64]);
        assertTrue(rejected(craft(MessageType.VIEW_CHANGE.tag(), w.toBytes())).getMessage().contains("header only"));
    }

    @Test
    void framesShorterThanHeaderAndMacOrLargerThanTheLimitAreRejected() {
        rejected(new byte[0]);
        rejected(new byte[HEADER + NodeCrypto.MAC_LENGTH - 1]);
        rejected(new byte[Envelope.MAX_FRAME + 1]);
        assertEquals(-1, Envelope.claimedSender(new byte[HEADER - 1]));
    }

    // ---------------------------------------------------------------- fuzzing

    /** Integers likely to break length and count handling (the int-overflow window is covered above). */
    private static final int[] INTERESTING = {0, 1, -1, 2, 7, 8, 32, 64, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
        0x7fff00, 1 << 30, Envelope.MAX_FRAME, Envelope.MAX_FRAME + 1, Integer.MIN_VALUE, -2};

    @Test
    void randomMutationsOfValidFramesOnlyEverRaiseMalformedMessageException() {
        Random rnd = new Random(0x5EEDL);
        List<byte[]> bases = new ArrayList<>();
        List<NodeCrypto> senders = new ArrayList<>();
        for (Message m : samples()) {
            bases.add(validFrame(m));
            senders.add(NODES.crypto(senderOf(m)));
        }
        int iterations = 6000;
        int decoderRejections = 0;
        int macRejections = 0;
        int accepted = 0;
        for (int i = 0; i < iterations; i++) {
            int which = rnd.nextInt(bases.size());
            byte[] base = bases.get(which);
            boolean remac = rnd.nextInt(4) != 0;
            byte[] mutated = mutate(base, rnd, remac);
            if (remac && mutated.length >= HEADER + NodeCrypto.MAC_LENGTH) {
                remac(senders.get(which), mutated);
            }
            try {
                Envelope e = Envelope.open(receiver(), mutated);
                accepted++;
                assertNotNull(e.message());
                assertFalse(!remac && !Arrays.equals(base, mutated),
                        "a frame altered without a new MAC was accepted at iteration " + i);
            } catch (MalformedMessageException expected) {
                if (String.valueOf(expected.getMessage()).startsWith("bad MAC")) {
                    macRejections++;
                } else {
                    decoderRejections++;
                }
            } catch (Throwable t) {
                fail("iteration " + i + ": " + t + " for frame " + HexFormat.of().formatHex(mutated), t);
            }
        }
        // The fuzzer must actually reach the decoders, not only the MAC check.
        assertTrue(decoderRejections > iterations / 4, "decoder rejections: " + decoderRejections);
        assertTrue(macRejections > iterations / 10, "MAC rejections: " + macRejections);
        assertTrue(accepted > 0, "some mutations are harmless");
    }

    private static byte[] mutate(byte[] frame, Random rnd, boolean bodyOnly) {
        int macAt = frame.length - NodeCrypto.MAC_LENGTH;
        // With a recomputed MAC, mutate header fields rarely so most frames reach the body decoders.
        int from = bodyOnly && rnd.nextInt(8) != 0 ? HEADER : 0;
        int to = bodyOnly ? macAt : frame.length;
        int span = Math.max(1, to - from);
        byte[] out = frame.clone();
        switch (rnd.nextInt(7)) {
            case 0 -> { // flip one bit
                int at = from + rnd.nextInt(span);
                out[at] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> { // overwrite an int with an interesting value
                int at = from + rnd.nextInt(span);
                int v = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)]
                        : (int) (rnd.nextInt(frame.length * 2) - 4L);
                for (int k = 0; k < 4 && at + k < out.length; k++) {
                    out[at + k] = (byte) (v >>> (24 - 8 * k));
                }
            }
            case 2 -> { // truncate the body (keep the MAC slot when it is recomputed)
                int cut = rnd.nextInt(span + 1);
                out = splice(frame, from + cut, to, new byte[0]);
            }
            case 3 -> { // insert random bytes
                byte[] junk = new byte[1 + rnd.nextInt(40)];
                rnd.nextBytes(junk);
                int at = from + rnd.nextInt(span + 1);
                out = splice(frame, at, at, junk);
            }
            case 4 -> { // delete a range
                int at = from + rnd.nextInt(span);
                int len = 1 + rnd.nextInt(Math.min(40, to - at));
                out = splice(frame, at, at + len, new byte[0]);
            }
            case 5 -> { // relabel the body with another type tag
                out[1] = (byte) (rnd.nextInt(14));
            }
            default -> { // randomise a run of bytes
                int at = from + rnd.nextInt(span);
                int len = 1 + rnd.nextInt(Math.min(16, to - at));
                byte[] junk = new byte[len];
                rnd.nextBytes(junk);
                System.arraycopy(junk, 0, out, at, len);
            }
        }
        return out;
    }

    private static byte[] splice(byte[] a, int from, int to, byte[] insert) {
        byte[] out = new byte[a.length - (to - from) + insert.length];
        System.arraycopy(a, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(a, to, out, from + insert.length, a.length - to);
        return out;
    }

    private static void patchI32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
