package org.ehrledger.ejb.application.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URISyntaxException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.annotation.Resource;
import jakarta.inject.Inject;
import jakarta.transaction.UserTransaction;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.ejb.application.contracts.Actors;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;
import org.ehrledger.ejb.domain.model.ledger.Receipt;
import org.ehrledger.ejb.domain.model.ledger.ReceiptVerifier;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.testing.Certified;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ledger inside a real Payara Micro with its own embedded Derby database: every committed batch in
 * one JTA transaction, the contracts' rules on chain, receipts and tamper detection. The methods share
 * one deployment and one chain, so they run in order.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LedgerInContainerIT {

    private static final Actors A = new Actors();

    @Deployment
    static WebArchive deployment() {
        WebArchive war = ShrinkWrap.create(WebArchive.class, "ledger-it.war");
        // the schema migrations, run by LedgerDatabase at start
        for (File version : new File("src/main/resources/db/changelog").listFiles()) {
            war.addAsResource(version, "db/changelog/" + version.getName());
        }
        return war
                .addPackages(true, "org.ehrledger.ejb", "org.ehrledger.consensus")
                .addAsResource(new File("src/main/resources/META-INF/persistence.xml"), "META-INF/persistence.xml")
                .addAsWebInfResource(new File("src/main/resources/META-INF/beans.xml"), "beans.xml")
                .addAsLibraries(jarOf(org.bouncycastle.jce.provider.BouncyCastleProvider.class),
                        jarOf(org.bouncycastle.cert.X509CertificateHolder.class),
                        jarOf(org.bouncycastle.asn1.misc.MiscObjectIdentifiers.class),
                        jarOf(org.jgroups.JChannel.class),
                        jarOf(org.apache.derby.jdbc.EmbeddedDataSource.class),
                        jarOf(org.apache.derby.shared.common.error.StandardException.class),
                        jarOf(org.apache.derby.iapi.jdbc.AutoloadedDriver.class),
                        jarOf(liquibase.Scope.class), jarOf(com.opencsv.CSVReader.class), jarOf(org.yaml.snakeyaml.Yaml.class),
                        jarOf(org.apache.commons.lang3.StringUtils.class), jarOf(org.apache.commons.text.StringSubstitutor.class),
                        jarOf(org.apache.commons.collections4.CollectionUtils.class), jarOf(org.apache.commons.io.IOUtils.class),
                        jarOf(javax.xml.bind.JAXBException.class));
    }

    private static File jarOf(Class<?> type) {
        try {
            return new File(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Inject
    LedgerRuntime ledger;

    @Resource(lookup = "java:app/jdbc/ehr")
    DataSource database;

    @Resource
    UserTransaction utx;

    // ---- committed batches with a real certificate, as consensus would hand them over -------------

    private static final Certified NETWORK = new Certified();
    private static final ClusterConfig GENESIS = NETWORK.genesis;

    private OrderedBatch batch(byte[]... operations) {
        return NETWORK.batch(ledger.lastExecuted() + 1, System.currentTimeMillis(), List.of(operations));
    }

    private LedgerResult execute(byte[]... operations) {
        return LedgerResult.decode(ledger.execute(batch(operations)).get(0));
    }

    // ---- scenarios ---------------------------------------------------------------------------------

    @Test
    @Order(1)
    void aDoctorWithoutConsentIsRefusedAndTheRefusalIsOnChain() {
        assertTrue(execute(A.genesisOrganisation()).accepted());
        assertTrue(execute(A.registerStaff(A.admin, A.doctor, TxType.REGISTER_PRACTITIONER)).accepted());
        assertTrue(execute(A.registerPatient(A.alice, "st-mary")).accepted());
        LedgerResult refused = execute(A.read(A.doctor, A.alice, "NOTE", "no consent yet"));
        assertFalse(refused.accepted());
        LedgerEntry onChain = ledger.block(refused.height()).entries().get(refused.index());
        assertFalse(onChain.accepted());
        assertEquals(refused.reason(), onChain.reason());
    }

    @Test
    @Order(2)
    void consentGrantReadRevokeAndBreakGlassAreOnChainAndVisibleToThePatient() {
        assertTrue(execute(A.grant(A.alice, "c-1", "dr-house", 0, "NOTE")).accepted());
        Actors.Submission note = A.addRecord(A.doctor, A.alice, "r-1", "NOTE", A.alice, A.doctor);
        assertFalse(execute(note.tx()).accepted(), "a record without its content is refused");
        assertTrue(execute(note.tx(), note.content()).accepted());
        assertTrue(execute(A.read(A.doctor, A.alice, "NOTE", "follow-up")).accepted());
        assertTrue(execute(A.revoke(A.alice, "c-1")).accepted());
        assertFalse(execute(A.read(A.doctor, A.alice, "NOTE", "after revoke")).accepted());
        for (byte[] confirmation : A.secondAdminConfirmsDoctor()) {
            assertTrue(execute(confirmation).accepted());
        }
        assertTrue(execute(A.breakGlass(A.doctor, A.alice, "patient unconscious in the ER", 30)).accepted());
        assertTrue(execute(A.read(A.doctor, A.alice, "NOTE", "emergency treatment")).accepted());
        assertEquals(List.of(AccessBasis.CONSENT, AccessBasis.BREAK_GLASS),
                ledger.query(s -> s.accessLog("pat-alice")).stream().map(e -> e.basis()).toList());
    }

    @Test
    @Order(3)
    void blocksRoundTripThroughJpaWithIdenticalHashesAndVerify() {
        // the stored rows, read afresh, recompute every hash up to the head the ledger holds
        ChainVerifier.Report report = ledger.verifyStored(new ChainVerifier(GENESIS));
        assertTrue(report.valid(), report.toString());
        assertEquals(ledger.head().header().height() + 1, report.blocks());
        assertEquals(ledger.head().header().hash(), report.headHash());
    }

    @Test
    @Order(4)
    void aBatchWhoseTransactionRollsBackLeavesNoPartOfItsBlock() throws Exception {
        Block head = ledger.head();
        utx.begin();
        ledger.execute(batch(A.grant(A.alice, "c-rolled-back", "dr-house", 0, "NOTE")));
        utx.rollback(); // the replica dies before commit: block, entries and state change go together
        assertEquals(head.header().height() + 1, ledger.verifyStored(new ChainVerifier(GENESIS)).blocks());
        assertEquals(head.header().hash(), ledger.head().header().hash(),
                "the in-memory ledger was reloaded from what committed");
        assertNull(ledger.query(s -> s.consent("c-rolled-back")));
    }

    @Test
    @Order(5)
    void aReceiptVerifiesOfflineAndFailsAfterAnyByteOfTheRecordChanges() {
        Block block = null;
        int index = -1;
        for (long h = 0; h <= ledger.head().header().height(); h++) {
            Block b = ledger.block(h);
            for (int i = 0; i < b.entries().size(); i++) {
                if (new String(b.entries().get(i).transaction(), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .contains("r-1") && b.entries().get(i).accepted()) {
                    block = b;
                    index = i;
                }
            }
        }
        Receipt receipt = block.receipt(index);
        ReceiptVerifier verifier = new ReceiptVerifier(GENESIS);
        assertTrue(verifier.verify(receipt, receipt.entry().transaction()).valid());
        byte[] ciphertext = ledger.content("r-1");
        assertEquals(receipt.request().operationDigests().get(receipt.entry().operationIndex() + 1),
                org.ehrledger.consensus.codec.Digest.sha256(ciphertext), "the record's hash was ordered");
        for (int i = 0; i < ciphertext.length; i += 7) {
            byte[] changed = ciphertext.clone();
            changed[i] ^= 1;
            assertFalse(org.ehrledger.consensus.codec.Digest.sha256(changed)
                    .equals(receipt.request().operationDigests().get(receipt.entry().operationIndex() + 1)));
        }
    }

    @Test
    @Order(6)
    void aPeersCatchUpWaitingForTheDatabaseDoesNotHoldBackThisReplicasNextBlock() throws Exception {
        // A page of blocks served to a lagging peer is read from the database; here that read waits for the
        // records' contents, locked by another transaction (as a slow disk or a long page would make it wait).
        // Meanwhile this replica's own next block must execute and commit: before, the page was read under the
        // ledger's read lock, and the block's write lock waited for it.
        long height = ledger.head().header().height();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Connection locker = database.getConnection(); Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE RECORD_CONTENT IN EXCLUSIVE MODE");
            Future<BlockSource.Fetched> page = threads.submit(() -> ledger.serve(1, 64));
            awaitLockWait(s, "RECORD_CONTENT");
            Future<LedgerResult> next = threads.submit(() -> execute(A.grant(A.alice, "c-during-catch-up", "dr-house", 0, "NOTE")));
            try {
                assertTrue(next.get(15, TimeUnit.SECONDS).accepted(), "the next block executes while the page waits");
                assertEquals(height + 1, ledger.head().header().height());
                assertFalse(page.isDone(), "the page still waits for the contents");
            } finally {
                locker.rollback(); // lets the page read on
            }
            BlockSource.Fetched served = page.get(60, TimeUnit.SECONDS);
            assertEquals(1, served.blocks().get(0).header().height());
            assertTrue(served.blocks().size() >= height, served.blocks().size() + " blocks served up to " + height);
            assertTrue(served.contents().containsKey("r-1"), "the record's content comes with its block");
        } finally {
            threads.shutdownNow();
        }
    }

    /** Waits until some transaction waits for a lock on {@code table} (Derby's lock table says so). */
    private static void awaitLockWait(Statement s, String table) throws Exception {
        for (int i = 0; i < 200; i++) {
            try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM SYSCS_DIAG.LOCK_TABLE WHERE TABLENAME = '" + table
                    + "' AND STATE = 'WAIT'")) {
                r.next();
                if (r.getInt(1) > 0) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("nothing waited for a lock on " + table + " within 10 s");
    }

    @Test
    @Order(7)
    void erasureMakesTheRecordUnreadableWhileTheChainStillVerifies() {
        assertTrue(execute(A.erase(A.alice, "r-1", "GDPR Art. 17 request 7")).accepted());
        assertNull(ledger.content("r-1"));
        assertNull(ledger.query(s -> s.wrappedKey("r-1", "pat-alice")));
        assertTrue(ledger.verifyStored(new ChainVerifier(GENESIS)).valid());
    }

    @Test
    @Order(8)
    void chainVerificationCatchesAnEditedRowADeletedTransactionAndAReorderedBlock() throws Exception {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            assertEquals(1, s.executeUpdate("UPDATE LEDGER_ENTRY SET ACCEPTED = 1 WHERE HEIGHT = 4"));
        }
        ChainVerifier.Report edited = ledger.verifyStored(new ChainVerifier(GENESIS));
        assertEquals(4, edited.firstBadHeight(), edited.toString());
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE LEDGER_ENTRY SET ACCEPTED = 0 WHERE HEIGHT = 4");
            assertEquals(1, s.executeUpdate("DELETE FROM LEDGER_ENTRY WHERE HEIGHT = 7"));
        }
        ChainVerifier.Report deleted = ledger.verifyStored(new ChainVerifier(GENESIS));
        assertEquals(7, deleted.firstBadHeight(), deleted.toString());
        assertTrue(deleted.problem().contains("deleted"), deleted.problem());
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE LEDGER_BLOCK SET HEIGHT = 1000 WHERE HEIGHT = 2");
            s.executeUpdate("UPDATE LEDGER_BLOCK SET HEIGHT = 2 WHERE HEIGHT = 3");
            s.executeUpdate("UPDATE LEDGER_BLOCK SET HEIGHT = 3 WHERE HEIGHT = 1000");
        }
        ChainVerifier.Report reordered = ledger.verifyStored(new ChainVerifier(GENESIS));
        assertEquals(2, reordered.firstBadHeight(), reordered.toString());
    }
}
