package org.ehrledger.ejb.application.ledger;

import java.util.function.Function;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;

/**
 * Runs this replica's {@link IntegrityCheck} once after its start, on a thread of the container, while the
 * replica serves; a damage found there is recorded in the {@link LedgerRuntime} like one found at start
 * (from then on the replica serves nothing and says how to repair it).
 *
 * <p>Internal: reached only by injection from the consensus gateway (hence no roles here).
 */
@ApplicationScoped
public class IntegrityChecks {

    private static final Logger LOG = Logger.getLogger(IntegrityChecks.class.getName());

    @Inject
    LedgerRuntime ledger;

    @Resource
    ManagedThreadFactory threads;

    /**
     * The share of its time the check works (the rest it waits, step by step): 0.5 by default, so that a replica
     * checking itself after a start takes at most half a core from its users and from the other replicas on the
     * machine; 1 checks as fast as it can.
     */
    @Inject
    @ConfigProperty(name = "ehr.integrity.duty", defaultValue = "0.5")
    double duty;

    private volatile IntegrityCheck current;
    private volatile boolean running;

    /** Starts the check of everything stored, with {@code verifier} for the chain (once per process). */
    public synchronized void start(ChainVerifier verifier) {
        if (current != null) {
            return;
        }
        IntegrityCheck check = new IntegrityCheck(new IntegrityCheck.Source() {
            @Override
            public <T> T read(Function<IntegrityCheck.Stores, T> work) {
                return ledger.inOwnTransaction(work);
            }

            @Override
            public <T> T quiescent(Function<IntegrityCheck.Stores, T> work) {
                return ledger.whileNoBlockExecutes(work);
            }
        }, ledger.watch(), verifier, pace());
        current = check;
        running = true;
        Thread t = threads.newThread(() -> {
            try {
                IntegrityCheck.Outcome o = check.run();
                if (o.damage() != null) {
                    ledger.markDamaged(o.damage());
                } else {
                    LOG.info(() -> "integrity check: " + check.progress());
                }
            } catch (RuntimeException e) {
                // The replica stopping or its database failing: say so; nothing was found damaged.
                LOG.warning(() -> "integrity check not finished: " + e);
            } finally {
                running = false;
            }
        });
        t.setName("ehr-integrity-check");
        t.setDaemon(true);
        t.start();
    }

    /** The configured pace; a duty out of range is reported and the default used. */
    private IntegrityCheck.Pace pace() {
        IntegrityCheck.Pace.Sleeper sleep = n -> Thread.sleep(n / 1_000_000, (int) (n % 1_000_000));
        try {
            return new IntegrityCheck.Pace(duty, sleep);
        } catch (IllegalArgumentException e) {
            LOG.warning(() -> "ehr.integrity.duty: " + e.getMessage() + "; the check uses 0.5");
            return new IntegrityCheck.Pace(0.5, sleep);
        }
    }

    /** "checking", "verified", "damaged", "unfinished" or "not started". */
    public String state() {
        IntegrityCheck c = current;
        if (c == null) {
            return "not started";
        }
        String p = c.progress();
        return running ? "checking" : p.startsWith("verified") ? "verified" : p.startsWith("damaged") ? "damaged" : "unfinished";
    }

    /** How far the check got (one line), or "" before it started. */
    public String progress() {
        IntegrityCheck c = current;
        return c == null ? "" : c.progress();
    }
}
