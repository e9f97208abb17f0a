package org.ehrledger.ejb.infrastructure.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

class CallerSessionsTest {

    private final CallerSessions sessions = new CallerSessions();
    private final UserKeys keys = UserKeys.generate();

    private String open(String user) {
        return sessions.open(user, Role.PATIENT, "org", user, keys);
    }

    @Test
    void signingInBeyondTheCapEndsThatPersonsLeastRecentlyUsedSessionOnly() throws Exception {
        String someoneElse = open("bob");
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < CallerSessions.MAX_SESSIONS_PER_PERSON; i++) {
            mine.add(open("ann"));
            Thread.sleep(2);
        }
        sessions.find(mine.get(0)); // used again: now the second is the least recently used
        Thread.sleep(2);
        String extra = open("ann");
        assertTrue(sessions.find(mine.get(1)).isEmpty(), "the least recently used session ended");
        assertTrue(sessions.find(mine.get(0)).isPresent());
        assertTrue(sessions.find(extra).isPresent());
        for (String t : mine.subList(2, mine.size())) {
            assertTrue(sessions.find(t).isPresent());
        }
        assertTrue(sessions.find(someoneElse).isPresent(), "other people's sessions are not touched");
    }

    @Test
    void aPasswordChangeEndsEveryOtherSessionOfThePersonAndKeepsTheCurrentOne() {
        String current = open("ann");
        String other = open("ann");
        String bob = open("bob");
        sessions.closeAllOfExcept("ann", current);
        assertTrue(sessions.find(current).isPresent());
        assertTrue(sessions.find(other).isEmpty());
        assertTrue(sessions.find(bob).isPresent());
        assertEquals(keys, sessions.keysOf("ann"), "the kept session still signs");
    }

    @Test
    void aDerivedSessionHoldsTheSamePersonAndKeysUntilItsFixedEndOnly() throws Exception {
        String portal = open("ann");
        String app = sessions.derive(portal, 50);
        assertEquals("ann", sessions.find(app).orElseThrow().userId());
        assertTrue(sessions.find(app).orElseThrow().expiresAt() <= System.currentTimeMillis() + 50);
        sessions.close(portal);
        assertTrue(sessions.find(app).isPresent(), "signing out of the portal leaves an app's session");
        Thread.sleep(60);
        assertTrue(sessions.find(app).isEmpty(), "it ends at its fixed end, used or not");
        org.junit.jupiter.api.Assertions.assertThrows(org.ehrledger.ejb.application.EhrException.class,
                () -> sessions.derive(portal, 1_000), "nothing derives from an ended session");
    }

    @Test
    void aBackendServiceDerivesFromTheAccountsLiveSessionOnly() {
        org.junit.jupiter.api.Assertions.assertThrows(org.ehrledger.ejb.application.EhrException.class,
                () -> sessions.deriveFor("svc", 1_000));
        open("svc");
        assertEquals("svc", sessions.find(sessions.deriveFor("svc", 1_000)).orElseThrow().userId());
        sessions.closeAllOf("svc");
        org.junit.jupiter.api.Assertions.assertThrows(org.ehrledger.ejb.application.EhrException.class,
                () -> sessions.deriveFor("svc", 1_000));
    }
}
