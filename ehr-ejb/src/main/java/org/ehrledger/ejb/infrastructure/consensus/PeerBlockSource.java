package org.ehrledger.ejb.infrastructure.consensus;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.logging.Logger;

import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.ejb.application.ledger.BlockSource;

/**
 * Fetches missed blocks from the other replicas over HTTP ({@link BlockSync}), asking them in random
 * order until one answers. What they send is checked by the ledger, so any peer will do.
 */
final class PeerBlockSource implements BlockSource {

    private static final Logger LOG = Logger.getLogger(PeerBlockSource.class.getName());

    private final int self;
    private final List<String> peerUrls;
    private final NodeCrypto crypto;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();

    /**
     * @param self     this replica's id
     * @param peerUrls API roots of all replicas by id (e.g. {@code http://10.0.0.2:8080/api/v1}); this one's is skipped
     * @param crypto   this replica's keys, to sign requests
     */
    PeerBlockSource(int self, List<String> peerUrls, NodeCrypto crypto) {
        this.self = self;
        this.peerUrls = List.copyOf(peerUrls);
        this.crypto = crypto;
    }

    @Override
    public Fetched fetch(long from, int max) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < peerUrls.size(); i++) {
            if (i != self) {
                order.add(i);
            }
        }
        Collections.shuffle(order);
        int want = Math.min(max, BlockSync.MAX_BLOCKS);
        StringBuilder failures = new StringBuilder();
        for (int peer : order) {
            long time = System.currentTimeMillis();
            String signature = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(crypto.sign(BlockSync.signedBytes(self, from, want, time)));
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(peerUrls.get(peer) + BlockSync.PATH
                                + "?from=" + from + "&max=" + want)).timeout(Duration.ofSeconds(60))
                        .header("X-Replica-Id", Integer.toString(self)).header("X-Replica-Time", Long.toString(time))
                        .header("X-Replica-Signature", signature).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 200) {
                    Fetched f = BlockSync.decode(r.body());
                    LOG.info(() -> "fetched " + f.blocks().size() + " blocks from height " + from + " from replica " + peer);
                    return f;
                }
                failures.append(" replica ").append(peer).append(": HTTP ").append(r.statusCode());
            } catch (Exception e) {
                failures.append(" replica ").append(peer).append(": ").append(e.getMessage());
            }
        }
        throw new IllegalStateException("no peer provided blocks from height " + from + ":" + failures);
    }
}
