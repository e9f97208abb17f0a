package org.ehrledger.ejb.application.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/** What an import is named by and how its records are grouped into consensus requests. */
class ImportServiceTest {

    private static final String BUNDLE = "0f".repeat(32);

    @Test
    void theSameBundleFromTheSameCallerNamesTheSameImportAndRecords() {
        String id = ImportService.importId("dr-a", BUNDLE);
        assertEquals(id, ImportService.importId("dr-a", BUNDLE));
        assertNotEquals(id, ImportService.importId("dr-b", BUNDLE), "another caller's import is another");
        assertNotEquals(id, ImportService.importId("dr-a", "1e".repeat(32)));
        assertEquals(ImportService.recordId(id, 7), ImportService.recordId(id, 7));
        assertNotEquals(ImportService.recordId(id, 7), ImportService.recordId(id, 8));
        assertTrue(Ids.RECORD_ID.matcher(ImportService.recordId(id, 7)).matches(), ImportService.recordId(id, 7));
    }

    private static List<LedgerWriter.Signed> records(int n, int contentBytes) {
        List<LedgerWriter.Signed> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new LedgerWriter.Signed(new byte[1_000], new byte[contentBytes]));
        }
        return out;
    }

    @Test
    void recordsAreGroupedInOrderIntoRequestsOfAtMostOneHundredAndTheRequestSize() {
        assertEquals(List.of(100, 100, 50), ImportService.requests(records(250, 1_000)).stream().map(List::size).toList());
        int perRequest = RecordService.MAX_BATCH_BYTES / (1_000 + 100_000);
        List<List<LedgerWriter.Signed>> big = ImportService.requests(records(20, 100_000));
        assertEquals(perRequest, big.get(0).size());
        assertEquals(20, big.stream().mapToInt(List::size).sum());
        EhrException tooLarge = assertThrows(EhrException.class,
                () -> ImportService.requests(records(1, RecordService.MAX_BATCH_BYTES)));
        assertEquals(ErrorCode.PAYLOAD_TOO_LARGE, tooLarge.code());
    }

    @Test
    void aRequestIsHandedOnAsSoonAsItIsFullSoThatAHistoryIsNeverHeldSealedWhole() {
        List<Integer> handed = new java.util.ArrayList<>();
        ImportService.Requests requests = new ImportService.Requests(r -> handed.add(r.size()));
        List<LedgerWriter.Signed> records = records(250, 1_000);
        for (int i = 0; i < records.size(); i++) {
            requests.add(records.get(i));
            assertEquals(i / RecordService.MAX_BATCH, handed.size(), "after record " + (i + 1));
        }
        requests.finish();
        assertEquals(List.of(100, 100, 50), handed);
        requests.finish();
        assertEquals(3, handed.size(), "nothing more to hand on");
    }
}
