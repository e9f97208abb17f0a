package org.ehrledger.consensus.api;

/** Checks shared by the settings builders: each failure names the setting and the value given. */
final class Settings {

    private Settings() {
    }

    /** Returns {@code value} if it is at least {@code min}; otherwise fails naming the setting. */
    static long atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    /** Returns {@code value} if it is at least {@code min}; otherwise fails naming the setting. */
    static int atLeast(String name, int value, int min) {
        return (int) atLeast(name, (long) value, min);
    }

    /** Returns {@code value} if it is not below {@code other}; otherwise fails naming both settings. */
    static long notBelow(String name, long value, String otherName, long other) {
        if (value < other) {
            throw new IllegalArgumentException(name + " (" + value + ") must not be smaller than " + otherName
                    + " (" + other + ")");
        }
        return value;
    }
}
