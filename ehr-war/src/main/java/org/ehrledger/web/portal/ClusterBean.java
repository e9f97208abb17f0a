package org.ehrledger.web.portal;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.json.JsonObject;

import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.infrastructure.consensus.ClusterStatus;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;

/**
 * The cluster dashboard: this replica's consensus state, every replica's health as it answers its public
 * status endpoint, and committed transactions over the last ten minutes.
 */
@Named("cluster")
@RequestScoped
public class ClusterBean {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    static final int BUCKET_SECONDS = 10;
    static final int BUCKETS = 60;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(800))
            .version(HttpClient.Version.HTTP_1_1).build();

    @EJB
    NetworkService network;

    @Inject
    ReplicaConfig config;

    private ClusterStatus local;
    private List<Replica> replicas;
    private long[] throughput;

    /** One replica as the dashboard shows it. */
    public record Replica(int id, String url, boolean up, String state, long view, int primary, long height,
                          long stableCheckpoint, String organisation, boolean self) {
    }

    public ClusterStatus getLocal() {
        if (local == null) {
            local = network.status();
        }
        return local;
    }

    /** Every replica's status, asked in parallel (800 ms connect, 1.5 s answer). */
    public List<Replica> getReplicas() {
        if (replicas == null) {
            List<String> roots = config.peerApiRoots().orElse(List.of());
            List<CompletableFuture<Replica>> asks = new ArrayList<>();
            for (int i = 0; i < roots.size(); i++) {
                int id = i;
                String root = roots.get(i);
                if (id == config.replicaId()) {
                    ClusterStatus s = getLocal();
                    asks.add(CompletableFuture.completedFuture(new Replica(id, root, true, s.state(), s.view(), s.primary(),
                            s.height(), s.stableCheckpoint(), s.organisation(), true)));
                    continue;
                }
                HttpRequest r = HttpRequest.newBuilder(URI.create(root + "/cluster")).timeout(Duration.ofMillis(1500))
                        .header("Accept", "application/json").build();
                asks.add(HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
                    if (resp.statusCode() != 200) {
                        return down(id, root);
                    }
                    JsonObject o = JSON.createReader(new StringReader(resp.body())).readObject();
                    return new Replica(id, root, true, o.getString("state", "?"), o.getJsonNumber("view").longValue(),
                            o.getInt("primary"), o.getJsonNumber("height").longValue(),
                            o.getJsonNumber("stableCheckpoint").longValue(), o.getString("organisation", ""), false);
                }).exceptionally(e -> down(id, root)));
            }
            replicas = asks.stream().map(CompletableFuture::join).toList();
        }
        return replicas;
    }

    private static Replica down(int id, String root) {
        return new Replica(id, root, false, "unreachable", 0, -1, 0, 0, "", false);
    }

    /** Bars of the throughput chart: x, y and height in a 600 x 160 drawing, with the count. */
    public record Bar(int x, int y, int height, long count, String label) {
    }

    public List<Bar> getBars() {
        long[] t = counts();
        long max = 1;
        for (long c : t) {
            max = Math.max(max, c);
        }
        List<Bar> bars = new ArrayList<>();
        for (int i = 0; i < t.length; i++) {
            int h = (int) Math.round(150.0 * t[i] / max);
            int secondsAgo = (t.length - i) * BUCKET_SECONDS;
            bars.add(new Bar(i * 10, 160 - h, h, t[i], t[i] + " transactions, " + secondsAgo + " to "
                    + (secondsAgo - BUCKET_SECONDS) + " s ago"));
        }
        return bars;
    }

    /** The busiest bucket's count (the chart's scale). */
    public long getPeak() {
        long max = 0;
        for (long c : counts()) {
            max = Math.max(max, c);
        }
        return max;
    }

    /** Transactions committed in the last ten minutes. */
    public long getTotal() {
        long sum = 0;
        for (long c : counts()) {
            sum += c;
        }
        return sum;
    }

    private long[] counts() {
        if (throughput == null) {
            throughput = network.throughput(BUCKET_SECONDS, BUCKETS);
        }
        return throughput;
    }
}
