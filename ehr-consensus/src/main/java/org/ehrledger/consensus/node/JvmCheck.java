package org.ehrledger.consensus.node;

import java.lang.management.ManagementFactory;
import java.util.Optional;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;

/**
 * Whether the JVM a replica runs in computes what its code says. HotSpot 17's C2 compiler (seen in 17.0.15) computes
 * wrong values from a copy of an array that {@code Arrays.copyOfRange} has just made when both are compiled together
 * (a replica run with C2 reported its sound ledger damaged after about 1,000 blocks); {@code -XX:-ReduceBulkZeroing}
 * turns off the optimisation at fault. The replica's own hot code no longer has that pattern, but its libraries may,
 * so a replica started with C2 and without the option says so at start (docs/OPERATIONS.md, "JVM options").
 */
public final class JvmCheck {

    private JvmCheck() {
    }

    /**
     * The problem with a JVM of Java {@code feature} that runs C2 or not and reduces bulk zeroing or not, or null if
     * none.
     */
    public static String problem(int feature, boolean c2, boolean reduceBulkZeroing) {
        if (feature != 17 || !c2 || !reduceBulkZeroing) {
            return null;
        }
        return "this JVM (Java " + Runtime.version() + ") runs the C2 compiler, which in Java 17 can compute wrong copies of "
                + "arrays in compiled code (a sound ledger was reported damaged); start it with -XX:-ReduceBulkZeroing, "
                + "or with -XX:TieredStopAtLevel=1 (docs/OPERATIONS.md, \"JVM options\")";
    }

    /** The problem with the JVM this runs in, or null if none (or if its options cannot be read). */
    public static String problem() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            boolean compilerOn = option(hotspot, "UseCompiler").map(Boolean::parseBoolean).orElse(true);
            boolean tiered = option(hotspot, "TieredCompilation").map(Boolean::parseBoolean).orElse(true);
            int stopAt = option(hotspot, "TieredStopAtLevel").map(Integer::parseInt).orElse(4);
            boolean c2 = compilerOn && (!tiered || stopAt >= 4);
            boolean reduce = option(hotspot, "ReduceBulkZeroing").map(Boolean::parseBoolean).orElse(false);
            return problem(Runtime.version().feature(), c2, reduce);
        } catch (RuntimeException e) {
            return null; // not HotSpot, or its options are not readable: nothing known to report
        }
    }

    private static Optional<String> option(HotSpotDiagnosticMXBean hotspot, String name) {
        try {
            VMOption o = hotspot.getVMOption(name);
            return Optional.of(o.getValue());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
