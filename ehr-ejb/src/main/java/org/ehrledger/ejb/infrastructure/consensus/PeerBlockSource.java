package org.ehrledger.ejb.infrastructure.consensus;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

import org.ehrledger.consensus.api.PeerTls;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ledger.BlockSource;

/**
 * Fetches missed blocks from the other replicas' block sync listeners ({@link BlockSyncServer}) over mutual
 * TLS with the genesis keys, asking them in random order until one answers. The replica at each address must
 * prove it is the replica expected there; what it sends is checked by the ledger, so any replica will do.
 */
final class PeerBlockSource implements BlockSource {

    private static final Logger LOG = Logger.getLogger(PeerBlockSource.class.getName());
    private static final int CONNECT_TIMEOUT_MILLIS = 3_000;

    private final int self;
    private final List<InetSocketAddress> peers;
    private final PeerTls tls;
    private final ScheduledExecutorService timer;

    /**
     * @param self  this replica's id
     * @param peers block sync addresses of all replicas by id; this one's is skipped
     * @param tls   this replica's TLS (its genesis certificate; trusts the replicas' genesis keys only)
     * @param timer closes a connection that outlives {@link BlockSyncServer#CONNECTION_MILLIS}
     */
    PeerBlockSource(int self, List<InetSocketAddress> peers, PeerTls tls, ScheduledExecutorService timer) {
        this.self = self;
        this.peers = List.copyOf(peers);
        this.tls = tls;
        this.timer = timer;
    }

    @Override
    public Fetched fetch(long from, int max) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < peers.size(); i++) {
            if (i != self) {
                order.add(i);
            }
        }
        Collections.shuffle(order);
        BlockSync.Request request = new BlockSync.Request(from, Math.min(max, BlockSync.MAX_BLOCKS));
        StringBuilder failures = new StringBuilder();
        for (int peer : order) {
            try {
                Fetched f = fetch(peer, request);
                LOG.info(() -> "fetched " + f.blocks().size() + " blocks from height " + from + " from replica " + peer);
                return f;
            } catch (EhrException e) {
                failures.append(" replica ").append(peer).append(" refused (").append(e.code()).append("): ")
                        .append(e.getMessage()).append(';');
            } catch (IOException | RuntimeException e) {
                failures.append(" replica ").append(peer).append(" at ").append(peers.get(peer)).append(": ")
                        .append(e.getMessage()).append(';');
            }
        }
        throw new IllegalStateException("no peer provided blocks from height " + from + ":" + failures);
    }

    private Fetched fetch(int peer, BlockSync.Request request) throws IOException {
        InetSocketAddress address = peers.get(peer);
        Socket raw = new Socket();
        ScheduledFuture<?> deadline = timer.schedule(() -> close(raw), BlockSyncServer.CONNECTION_MILLIS,
                TimeUnit.MILLISECONDS);
        try {
            raw.connect(address, CONNECT_TIMEOUT_MILLIS);
            raw.setSoTimeout(BlockSync.IO_TIMEOUT_MILLIS);
            SSLSocket ssl = (SSLSocket) tls.context().getSocketFactory()
                    .createSocket(raw, address.getHostString(), address.getPort(), true);
            ssl.setSSLParameters(tls.clientParameters());
            ssl.startHandshake(); // the trust manager admits genesis replica keys only
            int answering = tls.peerOf(ssl.getSession());
            if (answering != peer) {
                throw new SSLPeerUnverifiedException("replica " + answering + " answered at the block sync address of replica "
                        + peer);
            }
            BlockSync.writeRequest(new DataOutputStream(new BufferedOutputStream(ssl.getOutputStream())), request);
            return BlockSync.readAnswer(new DataInputStream(new BufferedInputStream(ssl.getInputStream(), 64 * 1024)));
        } finally {
            deadline.cancel(false);
            close(raw);
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is best effort
        }
    }
}
