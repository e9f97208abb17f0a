package org.ehrledger.web.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.junit.jupiter.api.Test;

/** Cursors name the last item seen, so pages stay stable while new items arrive at the front. */
class PageTest {

    private static final Function<String, String> KEY = Function.identity();

    @Test
    void followingTheCursorsVisitsEveryItemOnceEvenWhileNewItemsArrive() {
        List<String> list = new ArrayList<>(List.of("r9", "r8", "r7", "r6", "r5", "r4", "r3"));
        Page<String> first = Page.of(list, KEY, null, 3);
        assertEquals(List.of("r9", "r8", "r7"), first.items());
        list.add(0, "r10"); // a new record arrives between two requests
        Page<String> second = Page.of(list, KEY, first.nextCursor(), 3);
        assertEquals(List.of("r6", "r5", "r4"), second.items());
        Page<String> last = Page.of(list, KEY, second.nextCursor(), 3);
        assertEquals(List.of("r3"), last.items());
        assertNull(last.nextCursor(), "the end of the list has no next cursor");
    }

    @Test
    void aForeignCursorOrAnOutOfRangeLimitIsAnInvalidInput() {
        List<String> list = List.of("a", "b");
        assertEquals(ErrorCode.INVALID_INPUT, assertThrows(EhrException.class, () -> Page.of(list, KEY, "bm9wZQ", 1)).code());
        assertEquals(ErrorCode.INVALID_INPUT, assertThrows(EhrException.class, () -> Page.of(list, KEY, "%%%", 1)).code());
        assertEquals(ErrorCode.INVALID_INPUT, assertThrows(EhrException.class, () -> Page.of(list, KEY, null, 0)).code());
        assertEquals(ErrorCode.INVALID_INPUT,
                assertThrows(EhrException.class, () -> Page.of(list, KEY, null, Page.MAX_LIMIT + 1)).code());
        assertEquals(2, Page.of(list, KEY, null, null).items().size(), "50 items by default");
    }
}
