package org.ehrledger.consensus.core;

import static org.ehrledger.consensus.core.ClientTable.Status.DUPLICATE;
import static org.ehrledger.consensus.core.ClientTable.Status.FRESH;
import static org.ehrledger.consensus.core.ClientTable.Status.STALE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.message.RequestKey;
import org.ehrledger.consensus.codec.Wire;
import org.junit.jupiter.api.Test;

/** Replay suppression: fresh, duplicate and stale requests with a window of 1024 timestamps per client. */
class ClientTableTest {

    private static final int A = 1024;
    private static final int B = 1025;
    private static final int WINDOW = 1024;

    private final ClientTable table = new ClientTable(4);

    private ClientTable.Status status(int client, long ts) {
        return table.status(new RequestKey(client, ts));
    }

    private void execute(ClientTable t, int client, long fromInclusive, long toInclusive) {
        for (long ts = fromInclusive; ts <= toInclusive; ts++) {
            t.markExecuted(new RequestKey(client, ts));
        }
    }

    private static byte[] encode(ClientTable t) {
        Wire.Writer w = new Wire.Writer(64);
        t.encode(w);
        return w.toBytes();
    }

    @Test
    void theWindowIs1024() {
        assertEquals(WINDOW, ClientTable.WINDOW);
    }

    @Test
    void anyRequestOfAnUnknownClientIsFresh() {
        assertEquals(FRESH, status(A, 0));
        assertEquals(FRESH, status(A, Long.MIN_VALUE));
        assertEquals(FRESH, status(A, Long.MAX_VALUE));
    }

    @Test
    void anExecutedRequestIsADuplicate() {
        table.markExecuted(new RequestKey(A, 7));
        assertEquals(DUPLICATE, status(A, 7));
        assertEquals(FRESH, status(A, 6), "an older timestamp is fresh while the window is not full");
        assertEquals(FRESH, status(A, 8));
    }

    @Test
    void clientsAreIndependent() {
        execute(table, A, 1, WINDOW);
        assertEquals(DUPLICATE, status(A, 5));
        assertEquals(FRESH, status(B, 5));
        assertEquals(FRESH, status(B, 0));
    }

    @Test
    void olderThanTheWholeWindowIsStaleOnlyOnceTheWindowIsFull() {
        execute(table, A, 1, WINDOW - 1);
        assertEquals(FRESH, status(A, 0), "1023 remembered: not yet full");
        table.markExecuted(new RequestKey(A, WINDOW));
        assertEquals(STALE, status(A, 0));
        assertEquals(STALE, status(A, -5));
        assertEquals(DUPLICATE, status(A, 1));
        assertEquals(DUPLICATE, status(A, WINDOW));
        assertEquals(FRESH, status(A, WINDOW + 1));
    }

    @Test
    void executingBeyondTheWindowForgetsTheOldestTimestampWhichBecomesStale() {
        execute(table, A, 1, WINDOW + 1);
        assertEquals(STALE, status(A, 1), "evicted, and older than every remembered timestamp");
        assertEquals(DUPLICATE, status(A, 2));
        assertEquals(DUPLICATE, status(A, WINDOW + 1));
        execute(table, A, WINDOW + 2, 3 * WINDOW);
        assertEquals(STALE, status(A, 2 * WINDOW));
        assertEquals(DUPLICATE, status(A, 2 * WINDOW + 1));
    }

    @Test
    void gapsInsideAFullWindowStayFreshSoOutOfOrderRequestsStillExecuteOnce() {
        for (long ts = 2; ts <= 2L * WINDOW; ts += 2) { // 1024 even timestamps 2..2048
            table.markExecuted(new RequestKey(A, ts));
        }
        assertEquals(FRESH, status(A, 3));
        assertEquals(FRESH, status(A, 2047));
        assertEquals(DUPLICATE, status(A, 1000));
        assertEquals(STALE, status(A, 1));
        assertEquals(FRESH, status(A, 2049));
        table.markExecuted(new RequestKey(A, 3));
        assertEquals(DUPLICATE, status(A, 3));
        assertEquals(STALE, status(A, 2), "2 was the oldest and was evicted by 3");
    }

    @Test
    void markingTheSameRequestTwiceChangesNothing() {
        execute(table, A, 1, 10);
        byte[] before = encode(table);
        table.markExecuted(new RequestKey(A, 5));
        assertArrayEquals(before, encode(table));
    }

    @Test
    void encodeAndReplaceWithRoundTripTheReplayState() {
        execute(table, A, 1, WINDOW + 100);
        execute(table, B, 10, 20);
        table.markExecuted(new RequestKey(2000, -3));
        byte[] bytes = encode(table);

        ClientTable copy = new ClientTable(4);
        Wire.Reader r = new Wire.Reader(bytes);
        copy.replaceWith(r);
        r.expectEnd();

        assertArrayEquals(bytes, encode(copy));
        long[][] probes = {{A, 1}, {A, 100}, {A, 101}, {A, 500}, {A, WINDOW + 100}, {A, WINDOW + 101},
            {B, 9}, {B, 10}, {B, 15}, {B, 21}, {2000, -3}, {2000, 0}, {3000, 1}};
        for (long[] p : probes) {
            RequestKey k = new RequestKey((int) p[0], p[1]);
            assertEquals(table.status(k), copy.status(k), k.toString());
        }
        assertEquals(STALE, copy.status(new RequestKey(A, 100)));
        assertEquals(DUPLICATE, copy.status(new RequestKey(A, 101)));
    }

    @Test
    void replaceWithDiscardsThePreviousStateAndTheReplyCache() {
        ClientTable target = new ClientTable(4);
        execute(target, B, 1, 5);
        target.cacheReply(new RequestKey(B, 5), REQ, bytes("five"));

        execute(table, A, 1, 3);
        target.replaceWith(new Wire.Reader(encode(table)));

        assertEquals(FRESH, target.status(new RequestKey(B, 3)));
        assertEquals(DUPLICATE, target.status(new RequestKey(A, 3)));
        assertNull(target.cachedReply(new RequestKey(B, 5), REQ));
    }

    @Test
    void anEmptyTableRoundTrips() {
        byte[] bytes = encode(table);
        assertArrayEquals(new byte[4], bytes);
        ClientTable copy = new ClientTable(1);
        copy.replaceWith(new Wire.Reader(bytes));
        assertArrayEquals(bytes, encode(copy));
    }

    @Test
    void aTruncatedOrImplausibleEncodingIsAMalformedMessage() {
        execute(table, A, 1, 3);
        byte[] bytes = encode(table);
        for (int len = 0; len < bytes.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(bytes, len);
            assertThrows(MalformedMessageException.class, () -> new ClientTable(1).replaceWith(new Wire.Reader(cut)));
        }
        byte[] absurd = new Wire.Writer(16).i32(1).i32(A).i32(Integer.MAX_VALUE).toBytes();
        assertThrows(MalformedMessageException.class, () -> new ClientTable(1).replaceWith(new Wire.Reader(absurd)));
        byte[] negative = new Wire.Writer(16).i32(-1).toBytes();
        assertThrows(MalformedMessageException.class, () -> new ClientTable(1).replaceWith(new Wire.Reader(negative)));
    }

    @Test
    void theReplyCacheKeepsTheMostRecentRepliesPerClient() {
        for (long ts = 1; ts <= 6; ts++) {
            table.cacheReply(new RequestKey(A, ts), REQ, bytes("r" + ts));
        }
        table.cacheReply(new RequestKey(B, 1), REQ, bytes("b1"));
        assertNull(table.cachedReply(new RequestKey(A, 1), REQ));
        assertNull(table.cachedReply(new RequestKey(A, 2), REQ));
        for (long ts = 3; ts <= 6; ts++) {
            assertArrayEquals(bytes("r" + ts), table.cachedReply(new RequestKey(A, ts), REQ));
        }
        assertArrayEquals(bytes("b1"), table.cachedReply(new RequestKey(B, 1), REQ));
        assertNull(table.cachedReply(new RequestKey(3000, 1), REQ));
    }

    @Test
    void aCachedReplyIsOnlyReturnedForTheRequestItAnswered() {
        table.cacheReply(new RequestKey(A, 7), REQ, bytes("seven"));
        assertArrayEquals(bytes("seven"), table.cachedReply(new RequestKey(A, 7), REQ));
        // Same client and timestamp, different request (a reused timestamp): no stale answer.
        assertNull(table.cachedReply(new RequestKey(A, 7), org.ehrledger.consensus.codec.Digest.sha256(bytes("other"))));
    }

    @Test
    void theReplyCacheIsNotPartOfTheReplicatedEncoding() {
        execute(table, A, 1, 2);
        byte[] before = encode(table);
        table.cacheReply(new RequestKey(A, 2), REQ, bytes("result"));
        assertArrayEquals(before, encode(table));
    }

    private static final org.ehrledger.consensus.codec.Digest REQ =
            org.ehrledger.consensus.codec.Digest.sha256(new byte[] {42});

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
