package org.ehrledger.ejb.application.service;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.ChainVerification;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.application.ledger.VerificationCache;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.infrastructure.consensus.ClusterStatus;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;
import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;

/** The network and the chain as this replica sees them: no clinical content. */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class NetworkService {

    /** Seconds of latency history a replica keeps and answers. */
    public static final int TIMELINE_SECONDS = ConsensusGateway.TIMELINE_SECONDS;

    @EJB
    ConsensusGateway gateway;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ChainVerification verification;

    @Inject
    Caller caller;

    @jakarta.annotation.Resource
    jakarta.ejb.SessionContext session;

    @Inject
    ReceiptIssuer receipts;

    @Inject
    AccountStore accounts;

    /**
     * A person registered on the ledger as the directory shows them: role, organisation, whether their
     * certificate is revoked, and their name when this replica holds their account (names are not on chain).
     */
    public record Person(String userId, String role, String organisation, String organisationName, boolean revoked,
                         String name) {
    }

    /** A registered person by id (any signed-in user: no clinical content; patients only themselves). */
    @RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
    public Person person(String userId) {
        String id = Inputs.text("user id", userId, 64);
        String me = caller.id();
        Person p = ledger.query(s -> {
            User u = s.user(id);
            if (u == null || (u.role() == Role.PATIENT && !id.equals(me))) {
                return null;
            }
            return new Person(u.id(), u.role().name(), u.organisation(), ClinicalRecords.organisationName(s, u.organisation()),
                    u.revoked(), "");
        });
        if (p == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no practitioner or staff member " + id);
        }
        return named(p);
    }

    /** The person with their name, if this replica holds their account (called after the ledger's lock is released). */
    private Person named(Person p) {
        var row = accounts.find(p.userId());
        return row == null ? p : new Person(p.userId(), p.role(), p.organisation(), p.organisationName(), p.revoked(),
                row.displayName());
    }

    /** The staff (not patients) of an organisation, with names where this replica holds their accounts. */
    @RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
    public List<Person> staffOf(String organisation) {
        String org = Inputs.text("organisation", organisation, 64);
        List<Person> found = ledger.query(s -> s.usersOf(org).stream()
                .filter(u -> u.role() != Role.PATIENT)
                .map(u -> new Person(u.id(), u.role().name(), u.organisation(), ClinicalRecords.organisationName(s, org),
                        u.revoked(), "")).toList());
        return found.stream().map(this::named).toList();
    }

    /** A member organisation as the directory shows it. */
    public record Member(String id, String name) {
    }

    /** The member organisations (any signed-in user). */
    @RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
    public List<Member> organisations() {
        return ledger.query(s -> s.organisations().stream().map(o -> new Member(o.id(), o.name())).toList());
    }

    /**
     * This replica's status (public: no clinical content). What its links turned away ({@code links}) only to
     * administrators: counts of rejected peers and failed handshakes would tell an anonymous prober whether
     * its attempts were seen.
     */
    @PermitAll
    public ClusterStatus status() {
        ClusterStatus status = gateway.status();
        return session.isCallerInRole(Role.ADMIN.name()) ? status : status.withoutLinks();
    }

    /**
     * Why this replica serves nothing (its stored ledger is damaged) and what the operator does next, or
     * null while it is sound (public: the same text as the status).
     */
    @PermitAll
    public String damaged() {
        return gateway.damaged();
    }

    /** A block's header (public: hashes, counts and times only). */
    @PermitAll
    public BlockHeader header(long height) {
        BlockHeader b = ledger.header(height);
        if (b == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no block " + height + " yet (head is "
                    + ledger.head().header().height() + ")");
        }
        return b;
    }

    /**
     * The verification of this replica's chain as stored in its database (links, Merkle roots, and the
     * commit certificates against the genesis replica keys) for the current head: the cached result
     * extended by the blocks committed since (public: the report holds no clinical content, and nobody can
     * make the replica check a block twice).
     */
    @PermitAll
    public VerificationCache.Result verifyChain() {
        return verification.verify();
    }

    /**
     * The whole stored chain verified again from genesis, which finds rows edited behind the replica's back
     * (administrators; one at a time, a result of the same head shared for a minute).
     */
    @RolesAllowed("ADMIN")
    public VerificationCache.Result verifyChainFully() {
        return verification.verifyFully();
    }

    /** One transaction of a block as the explorer shows it: no clinical content, no transaction body. */
    public record TxSummary(int index, String id, String type, String author, boolean accepted, String reason) {
    }

    /** A block as the explorer shows it ({@code transactions} only for a single block). */
    public record BlockSummary(long height, String hash, String previousHash, long timestamp, int entries,
                               long sequence, long view, int signatures, List<TxSummary> transactions) {
    }

    /** Up to {@code count} blocks below {@code belowHeight} (0: from the head), newest first. */
    @RolesAllowed("ADMIN")
    public List<BlockSummary> blocks(long belowHeight, int count) {
        long top = ledger.head().header().height();
        long from = belowHeight <= 0 || belowHeight > top + 1 ? top : belowHeight - 1;
        List<BlockSummary> out = new ArrayList<>();
        for (long h = from; h >= 1 && out.size() < Math.min(Math.max(count, 1), 100); h--) {
            BlockHeader b = ledger.header(h);
            if (b != null) {
                out.add(new BlockSummary(b.height(), b.hash().hex(), b.previousHash().hex(), b.timestamp(), b.entryCount(),
                        b.sequence(), 0, 0, List.of()));
            }
        }
        return out;
    }

    /** One block with its transactions' types, authors and verdicts. */
    @RolesAllowed("ADMIN")
    public BlockSummary block(long height) {
        Block b = ledger.block(height);
        if (b == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no block " + height + " yet (head is "
                    + ledger.head().header().height() + ")");
        }
        List<TxSummary> txs = new ArrayList<>();
        for (int i = 0; i < b.entries().size(); i++) {
            LedgerEntry e = b.entries().get(i);
            String type = "MALFORMED";
            String author = "";
            try {
                SignedTransaction tx = SignedTransaction.decode(e.transaction());
                type = tx.type().name();
                author = tx.author();
            } catch (RuntimeException ignored) {
                // shown as malformed, as the contracts recorded it
            }
            txs.add(new TxSummary(i, org.ehrledger.consensus.codec.Digest.sha256(e.transaction()).hex(), type, author,
                    e.accepted(), e.reason()));
        }
        BlockHeader h = b.header();
        return new BlockSummary(h.height(), h.hash().hex(), h.previousHash().hex(), h.timestamp(), h.entryCount(),
                h.sequence(), b.view(), b.certificate() == null ? 0 : b.certificate().size(), txs);
    }

    /**
     * Committed transactions per {@code bucketSeconds} over the last {@code buckets} buckets, oldest first
     * (from at most the last 2,000 blocks).
     */
    @RolesAllowed("ADMIN")
    public long[] throughput(int bucketSeconds, int buckets) {
        int width = Math.min(Math.max(bucketSeconds, 1), 3600);
        int n = Math.min(Math.max(buckets, 1), 240);
        long[] counts = new long[n];
        long now = System.currentTimeMillis();
        long start = now - (long) width * n * 1000;
        long h = ledger.head().header().height();
        for (int seen = 0; h >= 1 && seen < 2_000; h--, seen++) {
            BlockHeader b = ledger.header(h);
            if (b == null || b.timestamp() < start) {
                break;
            }
            int bucket = (int) Math.min(n - 1, (b.timestamp() - start) / (width * 1000L));
            counts[bucket] += b.entryCount();
        }
        return counts;
    }

    /**
     * This replica's latency timeline over the last {@code seconds} (1 to 600): per second, the requests
     * submitted here that committed or failed and their latency percentiles; and the view changes,
     * emergency-state switches and replicas joining or leaving in that time (administrators).
     */
    @RolesAllowed("ADMIN")
    public Timeline timeline(int seconds) {
        if (seconds < 1 || seconds > TIMELINE_SECONDS) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "seconds is 1 to " + TIMELINE_SECONDS);
        }
        LatencyTimeline.Snapshot s = gateway.timeline(seconds);
        return new Timeline(gateway.replicaId(), s.now(), s.seconds(), s.events());
    }

    /**
     * A replica's timeline: its id (0-based, as in its status), its clock when it answered (epoch ms), its
     * seconds oldest first, and its events.
     */
    public record Timeline(int replicaId, long now, List<LatencyTimeline.Second> seconds, List<LatencyTimeline.Event> events) {
    }

    /**
     * The receipt of one transaction (Merkle path to its block, the consensus request and batch inclusion,
     * the commit certificate), for its author: everything needed to check it offline.
     */
    @RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
    public ReceiptIssuer.CheckedReceipt receipt(long height, int index) {
        return receipts.issue(height, index, caller.id());
    }
}
