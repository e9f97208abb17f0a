package org.ehrledger.web.fhir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * The R4 base specification's conformance resources (the StructureDefinitions, ValueSets and CodeSystems of
 * {@code hapi-fhir-validation-resources-r4}, as HAPI's {@code DefaultProfileValidationSupport} serves them),
 * kept compressed and parsed only when the validator asks for one. HAPI's default support parses all of
 * them (about 3,000 resources, 46 MB of XML) on first use, and its worker context converts every
 * StructureDefinition to R5 and keeps both: about 180 MB of a replica's heap, for good. Here one streaming
 * pass indexes each resource by its canonical URL as deflated XML without narrative (7 MB); a resource is
 * parsed when the validator fetches it (HAPI's validation support chain caches what it fetched, bounded).
 *
 * <p>{@link #fetchAllStructureDefinitions()} (from which the validator's worker context learns the type
 * system) answers the data types and the base definitions of the facade's resource types, not
 * every definition: the validator fetches the others (a contained resource's type, a profile, an extension)
 * by URL when an instance needs them.
 */
final class Definitions implements IValidationSupport {

    /** The files HAPI's default support reads for R4: definitions first, then terminology. */
    static final List<String> FILES = List.of(
            "/org/hl7/fhir/r4/model/profile/profiles-types.xml",
            "/org/hl7/fhir/r4/model/profile/profiles-resources.xml",
            "/org/hl7/fhir/r4/model/profile/profiles-others.xml",
            "/org/hl7/fhir/r4/model/extension/extension-definitions.xml",
            "/org/hl7/fhir/r4/model/valueset/valuesets.xml",
            "/org/hl7/fhir/r4/model/valueset/v2-tables.xml",
            "/org/hl7/fhir/r4/model/valueset/v3-codesystems.xml");

    private static final String BASE = "http://hl7.org/fhir/StructureDefinition/";
    private static final String FHIR_NS = "http://hl7.org/fhir";
    private static final Set<String> KEPT = Set.of("StructureDefinition", "ValueSet", "CodeSystem");

    private final FhirContext context;
    private final Map<String, byte[]> structureDefinitions = new HashMap<>();
    private final Map<String, byte[]> valueSets = new HashMap<>();
    private final Map<String, byte[]> codeSystems = new HashMap<>();
    /** The definitions every validation needs (data types, base resources, the facade's types), parsed. */
    private final List<IBaseResource> core;

    /**
     * Indexes the base specification and parses the definitions of the data types and of the given resource
     * types (with {@code Resource} and {@code DomainResource}).
     */
    Definitions(FhirContext context, Set<String> resourceTypes) {
        this.context = context;
        Set<String> coreUrls = new HashSet<>();
        for (String file : FILES) {
            index(file, coreUrls);
        }
        indexHapiCodeSystem();
        for (String type : resourceTypes) {
            coreUrls.add(BASE + type);
        }
        coreUrls.add(BASE + "Resource");
        coreUrls.add(BASE + "DomainResource");
        List<IBaseResource> parsed = new ArrayList<>();
        for (String url : coreUrls) {
            IBaseResource sd = fetchStructureDefinition(url);
            if (sd == null) {
                throw new IllegalArgumentException("the R4 specification defines no " + url);
            }
            parsed.add(sd);
        }
        core = Collections.unmodifiableList(parsed);
    }

    /** How many resources are indexed, and their compressed size. */
    @Override
    public String toString() {
        long bytes = 0;
        int n = 0;
        for (Map<String, byte[]> m : List.of(structureDefinitions, valueSets, codeSystems)) {
            for (byte[] b : m.values()) {
                bytes += b.length;
                n++;
            }
        }
        return String.format("%d R4 definitions indexed in %.1f MB, %d parsed up front", n, bytes / 1048576.0, core.size());
    }

    // ---- IValidationSupport ---------------------------------------------------------------------------------

    @Override
    public FhirContext getFhirContext() {
        return context;
    }

    @Override
    public String getName() {
        return "EHR Ledger R4 base definitions (lazily parsed)";
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends IBaseResource> List<T> fetchAllStructureDefinitions() {
        return (List<T>) core;
    }

    @Override
    public <T extends IBaseResource> List<T> fetchAllNonBaseStructureDefinitions() {
        return null; // only base definitions here
    }

    @Override
    public IBaseResource fetchStructureDefinition(String url) {
        return parse(find(structureDefinitions, url != null && !url.contains("/") ? BASE + url : url));
    }

    @Override
    public IBaseResource fetchValueSet(String url) {
        return parse(find(valueSets, url));
    }

    @Override
    public IBaseResource fetchCodeSystem(String url) {
        return parse(find(codeSystems, url));
    }

    /**
     * Whether the specification holds this code system's codes: not for the external ones it only names (SNOMED CT,
     * LOINC: {@code content = not-present}), which HAPI's default support does not claim either; claiming them
     * made every SNOMED CT code of a Coding an error ("Validation failed") instead of "cannot be checked".
     */
    @Override
    public boolean isCodeSystemSupported(ValidationSupportContext support, String system) {
        return find(codeSystems, system) != null && fetchCodeSystem(system) instanceof org.hl7.fhir.r4.model.CodeSystem cs
                && cs.getContent() != org.hl7.fhir.r4.model.CodeSystem.CodeSystemContentMode.NOTPRESENT;
    }

    @Override
    public boolean isValueSetSupported(ValidationSupportContext support, String url) {
        return find(valueSets, url) != null;
    }

    /** The resource with this canonical URL and version, else with this URL (any version). */
    private static byte[] find(Map<String, byte[]> index, String url) {
        if (url == null) {
            return null;
        }
        byte[] exact = index.get(url);
        return exact != null ? exact : index.get(canonical(url));
    }

    /** A canonical URL without its {@code |version}. */
    private static String canonical(String url) {
        if (url == null) {
            return null;
        }
        int bar = url.indexOf('|');
        return bar < 0 ? url : url.substring(0, bar);
    }

    // ---- the index ------------------------------------------------------------------------------------------

    private IBaseResource parse(byte[] deflated) {
        if (deflated == null) {
            return null;
        }
        return context.newXmlParser().parseResource(new String(inflate(deflated), StandardCharsets.UTF_8));
    }

    /** A file of {@code hapi-fhir-validation-resources-r4}, found by this small descriptor of its jar. */
    private static final String MARKER = "META-INF/maven/ca.uhn.hapi.fhir/hapi-fhir-validation-resources-r4/pom.properties";

    /**
     * One of the {@link #FILES}, read from its jar directly rather than through the class loader: a web
     * application's class loader (Payara's {@code WebappClassLoader}) keeps the bytes of every resource it
     * served for as long as the application runs, and these are 45 MB of XML read once. Null when not found.
     */
    static InputStream open(String file) throws IOException {
        java.net.URL marker = Definitions.class.getResource("/" + MARKER);
        if (marker == null) {
            return null;
        }
        String root = marker.toString().substring(0, marker.toString().length() - MARKER.length());
        java.net.URLConnection c = new java.net.URL(root + file.substring(1)).openConnection();
        c.setUseCaches(false);
        try {
            return c.getInputStream();
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }

    /** HAPI's own code system of storage response codes, which its default support serves too. */
    private void indexHapiCodeSystem() {
        try (InputStream in = IValidationSupport.class.getResourceAsStream("HapiFhirStorageResponseCode.json")) {
            if (in == null) {
                return;
            }
            IBaseResource cs = context.newJsonParser().parseResource(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            String xml = context.newXmlParser().encodeResourceToString(cs);
            codeSystems.putIfAbsent(((org.hl7.fhir.r4.model.CodeSystem) cs).getUrl(), deflate(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading HAPI's storage response codes", e);
        }
    }

    /**
     * One streaming pass over a bundle of the specification: each StructureDefinition, ValueSet and
     * CodeSystem entry is copied as XML into its own deflated buffer and indexed by its {@code url} (the
     * first holder of a URL wins, as in HAPI's default support). The data types' URLs are added to {@code core}.
     */
    private void index(String file, Set<String> core) {
        XMLInputFactory in = XMLInputFactory.newFactory();
        in.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        in.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        in.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        StringBuilder xml = new StringBuilder(256 << 10);
        try (InputStream stream = open(file)) {
            if (stream == null) {
                throw new IllegalStateException("the R4 definitions " + file + " are not on the class path");
            }
            XMLStreamReader r = in.createXMLStreamReader(stream, "UTF-8");
            int depth = 0;
            while (r.hasNext()) {
                int event = r.next();
                if (event == XMLStreamConstants.START_ELEMENT) {
                    depth++;
                    // Bundle (1) > entry (2) > resource (3) > the resource (4)
                    if (depth == 4 && KEPT.contains(r.getLocalName())) {
                        String type = r.getLocalName();
                        xml.setLength(0);
                        String url = copy(r, xml);
                        depth--; // copy() consumed the end element
                        if (url != null) {
                            Map<String, byte[]> target = switch (type) {
                                case "StructureDefinition" -> structureDefinitions;
                                case "ValueSet" -> valueSets;
                                default -> codeSystems;
                            };
                            byte[] deflated = deflate(xml.toString().getBytes(StandardCharsets.UTF_8));
                            // A few v2 code systems come in versions, their URL ending in |version: found by
                            // that, and by the URL alone as the first of them.
                            if (target.putIfAbsent(url, deflated) == null && file.endsWith("profiles-types.xml")) {
                                core.add(url);
                            }
                            target.putIfAbsent(canonical(url), deflated);
                        }
                    }
                } else if (event == XMLStreamConstants.END_ELEMENT) {
                    depth--;
                }
            }
            r.close();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the R4 definitions " + file, e);
        } catch (XMLStreamException e) {
            throw new IllegalStateException("reading the R4 definitions " + file, e);
        }
    }

    /**
     * Copies the element the reader is on (to its end element) as XML text, without its narrative (which
     * validation never reads) and without whitespace between elements; returns the value of its {@code url}
     * child, if any. (A plain writer: the JDK's XMLStreamWriter took three times as long as the reading.)
     */
    private static String copy(XMLStreamReader r, StringBuilder out) throws XMLStreamException {
        String url = null;
        ArrayDeque<String> open = new ArrayDeque<>(); // namespace of each open element
        do {
            switch (r.getEventType()) {
                case XMLStreamConstants.START_ELEMENT -> {
                    String ns = r.getNamespaceURI() == null ? "" : r.getNamespaceURI();
                    if (open.size() == 1 && r.getLocalName().equals("text") && ns.equals(FHIR_NS)) {
                        skip(r);
                        break;
                    }
                    out.append('<').append(r.getLocalName());
                    if (!ns.equals(open.peek())) {
                        out.append(" xmlns=\"");
                        escape(ns, out).append('"');
                    }
                    open.push(ns);
                    for (int i = 0; i < r.getAttributeCount(); i++) {
                        String prefix = r.getAttributePrefix(i);
                        out.append(' ');
                        if (prefix != null && !prefix.isEmpty()) {
                            if (!prefix.equals("xml")) {
                                throw new XMLStreamException("unexpected attribute namespace " + prefix);
                            }
                            out.append("xml:");
                        }
                        out.append(r.getAttributeLocalName(i)).append("=\"");
                        escape(r.getAttributeValue(i), out).append('"');
                    }
                    out.append('>');
                    if (open.size() == 2 && url == null && r.getLocalName().equals("url")) {
                        url = r.getAttributeValue(null, "value");
                    }
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    out.append("</").append(r.getLocalName()).append('>');
                    open.pop();
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                    if (!r.isWhiteSpace()) {
                        escape(r.getText(), out);
                    }
                }
                default -> {
                    // comments and processing instructions are dropped
                }
            }
            if (!open.isEmpty()) {
                r.next();
            }
        } while (!open.isEmpty());
        return url;
    }

    private static StringBuilder escape(String text, StringBuilder out) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\r' -> out.append("&#13;");
                default -> out.append(c);
            }
        }
        return out;
    }

    /** Skips the element the reader is on, to its end element. */
    private static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0) {
            int event = r.next();
            if (event == XMLStreamConstants.START_ELEMENT) {
                depth++;
            } else if (event == XMLStreamConstants.END_ELEMENT) {
                depth--;
            }
        }
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 6 + 64);
            byte[] buf = new byte[16 << 10];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static byte[] inflate(byte[] data) {
        Inflater i = new Inflater();
        try {
            i.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * 6);
            byte[] buf = new byte[32 << 10];
            while (!i.finished()) {
                int n = i.inflate(buf);
                if (n == 0 && (i.needsInput() || i.needsDictionary())) {
                    throw new IllegalStateException("a stored R4 definition is truncated");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalStateException("a stored R4 definition is corrupt", e);
        } finally {
            i.end();
        }
    }
}
