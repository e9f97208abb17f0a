package org.ehrledger.web.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * One page of a list that only grows (records, the access log, blocks), newest first. The cursor names the
 * last item of the previous page, so pages stay stable while new items arrive at the front.
 *
 * @param items      this page
 * @param nextCursor the cursor of the next page, or null at the end
 */
public record Page<T>(List<T> items, String nextCursor) {

    /** Largest page. */
    public static final int MAX_LIMIT = 200;

    /** The page after {@code cursor} (null: the first page) of at most {@code limit} items of {@code all}. */
    static <T> Page<T> of(List<T> all, Function<T, String> key, String cursor, Integer limit) {
        int size = limit == null ? 50 : limit;
        if (size < 1 || size > MAX_LIMIT) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "limit is 1 to " + MAX_LIMIT);
        }
        int start = 0;
        if (cursor != null && !cursor.isBlank()) {
            String after = key(cursor);
            start = -1;
            for (int i = 0; i < all.size(); i++) {
                if (key.apply(all.get(i)).equals(after)) {
                    start = i + 1;
                    break;
                }
            }
            if (start < 0) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "not a cursor of this list; start again without one");
            }
        }
        int end = Math.min(all.size(), start + size);
        List<T> items = List.copyOf(all.subList(start, end));
        String next = end < all.size() && !items.isEmpty() ? cursor(key.apply(items.get(items.size() - 1))) : null;
        return new Page<>(items, next);
    }

    /** The cursor naming an item by its key. */
    static String cursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The key a cursor names. */
    static String key(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "not a cursor this API gave out");
        }
    }
}
