package org.ehrledger.web.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Answers that carry a credential are recognised, so that they are never stored to be replayed. */
class IdempotencyTest {

    @Test
    void answersNamingACredentialAreSecretAndReceiptsAreNot() {
        assertTrue(Idempotency.namesSecret("{\"userId\":\"dr-a\",\"initialPassword\":\"x\"}"));
        assertTrue(Idempotency.namesSecret("{\"token\" : \"abc\",\"role\":\"PATIENT\"}"));
        assertTrue(Idempotency.namesSecret("{\"staff\":{\"enrolmentCode\":\"123\"}}"));
        assertFalse(Idempotency.namesSecret("{\"recordId\":\"R-1\",\"committed\":{\"transactionId\":\"ab\"}}"));
        assertFalse(Idempotency.namesSecret("{\"content\":{\"text\":\"the token was lost\"}}"));
    }
}
