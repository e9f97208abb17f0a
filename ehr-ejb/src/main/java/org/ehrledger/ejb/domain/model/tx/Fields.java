package org.ehrledger.ejb.domain.model.tx;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;

/**
 * The body of a transaction: named fields in a canonical binary encoding (sorted names, typed values),
 * so every replica hashes and signs the same bytes. Immutable; built with {@link #builder()}.
 */
public final class Fields {

    private static final int STRING = 1;
    private static final int LONG = 2;
    private static final int BYTES = 3;
    private static final int STRINGS = 4;

    private final TreeMap<String, Object> values;

    private Fields(TreeMap<String, Object> values) {
        this.values = values;
    }

    /** A builder of fields. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link Fields}. */
    public static final class Builder {
        private final TreeMap<String, Object> values = new TreeMap<>();

        /** Adds a text field. */
        public Builder put(String name, String value) {
            values.put(name, value);
            return this;
        }

        /** Adds a number field. */
        public Builder put(String name, long value) {
            values.put(name, value);
            return this;
        }

        /** Adds a binary field. */
        public Builder put(String name, byte[] value) {
            values.put(name, value.clone());
            return this;
        }

        /** Adds a list-of-text field. */
        public Builder put(String name, List<String> value) {
            values.put(name, List.copyOf(value));
            return this;
        }

        /** The fields. */
        public Fields build() {
            return new Fields(new TreeMap<>(values));
        }
    }

    /** Thrown when a required field is missing or has another type. */
    public static final class FieldException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        FieldException(String message) {
            super(message);
        }
    }

    private Object get(String name, Class<?> type) {
        Object v = values.get(name);
        if (v == null) {
            throw new FieldException("missing field '" + name + "'");
        }
        if (!type.isInstance(v)) {
            throw new FieldException("field '" + name + "' is not a " + type.getSimpleName().toLowerCase());
        }
        return v;
    }

    /** A required text field. */
    public String string(String name) {
        return (String) get(name, String.class);
    }

    /** An optional text field. */
    public String string(String name, String fallback) {
        return values.containsKey(name) ? string(name) : fallback;
    }

    /** A required number field. */
    public long number(String name) {
        return (Long) get(name, Long.class);
    }

    /** An optional number field. */
    public long number(String name, long fallback) {
        return values.containsKey(name) ? number(name) : fallback;
    }

    /** A required binary field. */
    public byte[] bytes(String name) {
        return ((byte[]) get(name, byte[].class)).clone();
    }

    /** An optional binary field. */
    public byte[] bytes(String name, byte[] fallback) {
        return values.containsKey(name) ? bytes(name) : fallback;
    }

    /** A required list-of-text field. */
    @SuppressWarnings("unchecked")
    public List<String> strings(String name) {
        return (List<String>) get(name, List.class);
    }

    /** Whether a field is present. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** Field names, sorted. */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(values.keySet()));
    }

    /** Canonical encoding. */
    public byte[] encode() {
        Wire.Writer w = new Wire.Writer(256);
        w.i32(values.size());
        for (Map.Entry<String, Object> e : values.entrySet()) {
            w.bytes(e.getKey().getBytes(StandardCharsets.UTF_8));
            Object v = e.getValue();
            if (v instanceof String s) {
                w.u8(STRING).bytes(s.getBytes(StandardCharsets.UTF_8));
            } else if (v instanceof Long l) {
                w.u8(LONG).i64(l);
            } else if (v instanceof byte[] b) {
                w.u8(BYTES).bytes(b);
            } else {
                @SuppressWarnings("unchecked")
                List<String> list = (List<String>) v;
                w.u8(STRINGS).i32(list.size());
                for (String s : list) {
                    w.bytes(s.getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return w.toBytes();
    }

    /** Decodes a canonical encoding; names must be strictly increasing (one encoding per value). */
    public static Fields decode(Wire.Reader r) {
        int n = r.count(6);
        TreeMap<String, Object> values = new TreeMap<>();
        String previous = null;
        for (int i = 0; i < n; i++) {
            String name = utf8(r.bytes());
            if (previous != null && name.compareTo(previous) <= 0) {
                throw new MalformedMessageException("field names out of order or repeated at '" + name + "'");
            }
            previous = name;
            int type = r.u8();
            switch (type) {
                case STRING -> values.put(name, utf8(r.bytes()));
                case LONG -> values.put(name, r.i64());
                case BYTES -> values.put(name, r.bytes());
                case STRINGS -> values.put(name, r.list(4, x -> utf8(x.bytes())));
                default -> throw new MalformedMessageException("unknown field type " + type);
            }
        }
        return new Fields(values);
    }

    /** Strict UTF-8: malformed bytes are an error, never silently replaced (one encoding per value). */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new MalformedMessageException("text that is not valid UTF-8");
        }
    }

    @Override
    public String toString() {
        return "Fields" + values.keySet();
    }
}
