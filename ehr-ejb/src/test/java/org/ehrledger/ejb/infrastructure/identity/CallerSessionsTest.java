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
}
