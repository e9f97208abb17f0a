package org.ehrledger.consensus.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

import org.ehrledger.consensus.api.Signer;
import org.ehrledger.consensus.crypto.Ed25519;
import org.ehrledger.consensus.crypto.PublicKeys;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;
import org.jgroups.util.UUID;

/**
 * The signed announcement that binds a node id to the JGroups address it speaks from:
 * {@code "EHR-HELLO1", flags, cluster, node, address, physical address, incarnation, Ed25519 signature}, signed
 * with the node's genesis key. Its first byte ({@code 'E'}) tells it apart from PBFT frames, which start with
 * {@link org.ehrledger.consensus.message.Envelope#VERSION}.
 *
 * <p>The JGroups address is not chosen freely: it is derived from the cluster, the id and the incarnation
 * ({@link #addressOf}), so no node can announce, or squat on, an address that belongs to another id.
 *
 * @param cluster     JGroups cluster name (a hello for another network is void)
 * @param node        the announcing node's id
 * @param address     the JGroups address the node speaks from
 * @param physical    the TCP address the node listens on, as other nodes reach it
 * @param incarnation start time of the node in ms: a newer one replaces the binding of an older one
 * @param wantsAnswer whether the sender has not yet heard from the receiver (the receiver answers)
 * @param signature   Ed25519 signature over everything before it
 */
record Hello(String cluster, int node, UUID address, InetSocketAddress physical, long incarnation,
             boolean wantsAnswer, byte[] signature) {

    /** Leading tag; its first byte differs from every PBFT frame version. */
    static final byte[] TAG = "EHR-HELLO1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ADDRESS_DOMAIN = "EHR-ADDRESS1".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_CLUSTER_NAME = 255;
    private static final int FLAG_WANTS_ANSWER = 1;

    /** Whether a frame is a hello (rather than a PBFT frame). */
    static boolean isHello(byte[] frame) {
        return frame.length > 0 && frame[0] == TAG[0];
    }

    /** The JGroups address a node uses in one incarnation: the first 128 bits of a hash of cluster, id and incarnation. */
    static UUID addressOf(String cluster, int node, long incarnation) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ADDRESS_DOMAIN);
            sha.update(cluster.getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(12).putInt(node).putLong(incarnation).array());
            ByteBuffer h = ByteBuffer.wrap(sha.digest());
            return new UUID(h.getLong(), h.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** A signed hello of the node behind {@code signer}. */
    static Hello signed(Signer signer, String cluster, UUID address, InetSocketAddress physical, long incarnation,
                        boolean wantsAnswer) {
        byte[] body = body(cluster, signer.id(), address, physical, incarnation, wantsAnswer);
        return new Hello(cluster, signer.id(), address, physical, incarnation, wantsAnswer, signer.sign(body));
    }

    /** Whether the signature is the node's, under its genesis key. */
    boolean verify(PublicKeys keys) {
        return Ed25519.verify(keys, body(cluster, node, address, physical, incarnation, wantsAnswer), signature);
    }

    /** Whether the address is the one derived for this node and incarnation. */
    boolean addressIsDerived() {
        return address.equals(addressOf(cluster, node, incarnation));
    }

    byte[] encode() {
        byte[] body = body(cluster, node, address, physical, incarnation, wantsAnswer);
        return new Wire.Writer(body.length + signature.length).raw(body).raw(signature).toBytes();
    }

    private static byte[] body(String cluster, int node, UUID address, InetSocketAddress physical, long incarnation,
                               boolean wantsAnswer) {
        byte[] name = cluster.getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_CLUSTER_NAME) {
            throw new IllegalArgumentException("cluster name longer than " + MAX_CLUSTER_NAME + " bytes");
        }
        byte[] ip = physical.getAddress().getAddress();
        return new Wire.Writer(96 + name.length).raw(TAG).u8(wantsAnswer ? FLAG_WANTS_ANSWER : 0)
                .u8(name.length).raw(name).i32(node)
                .i64(address.getMostSignificantBits()).i64(address.getLeastSignificantBits())
                .u8(ip.length).raw(ip).u8(physical.getPort() >>> 8).u8(physical.getPort())
                .i64(incarnation).toBytes();
    }

    /**
     * Parses a hello without checking its signature.
     *
     * @throws MalformedMessageException if it is not a well-formed hello
     */
    static Hello decode(byte[] frame) {
        Wire.Reader r = new Wire.Reader(frame);
        if (!Arrays.equals(TAG, r.raw(TAG.length))) {
            throw new MalformedMessageException("not a hello");
        }
        int flags = r.u8();
        if ((flags & ~FLAG_WANTS_ANSWER) != 0) {
            throw new MalformedMessageException("unknown hello flags " + flags);
        }
        String cluster = new String(r.raw(r.u8()), StandardCharsets.UTF_8);
        int node = r.i32();
        UUID address = new UUID(r.i64(), r.i64());
        int ipLength = r.u8();
        if (ipLength != 4 && ipLength != 16) {
            throw new MalformedMessageException("IP address of " + ipLength + " bytes");
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByAddress(r.raw(ipLength));
        } catch (UnknownHostException e) {
            throw new MalformedMessageException("bad IP address");
        }
        int port = (r.u8() << 8) | r.u8();
        long incarnation = r.i64();
        byte[] signature = r.raw(Ed25519.SIGNATURE_LENGTH);
        r.expectEnd();
        return new Hello(cluster, node, address, new InetSocketAddress(ip, port), incarnation,
                (flags & FLAG_WANTS_ANSWER) != 0, signature);
    }

    @Override
    public String toString() {
        return "Hello[node " + node + " at " + address.toStringLong() + " / " + physical + ", incarnation " + incarnation + "]";
    }
}
