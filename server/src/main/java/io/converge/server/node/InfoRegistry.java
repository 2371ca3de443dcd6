package io.converge.server.node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The sections of the INFO command, each filled by one or more contributors.
 *
 * <p>Sections appear in Redis's order (server, clients, memory, persistence, stats, replication,
 * cpu, modules, errorstats, cluster, keyspace, then commandstats and latencystats); a section is
 * shown only once something contributes to it. Any part of the node adds lines with
 * {@code info.add("keyspace", out -> out.field("db0", "keys=1,expires=0,avg_ttl=0"))}; new
 * section names can be declared with {@link #declareSection}.
 */
public final class InfoRegistry {

    /** Writes the lines of a section. */
    @FunctionalInterface
    public interface Contributor {
        /** Appends this contributor's fields. */
        void write(InfoBuilder out);
    }

    private record Section(String title, boolean inDefault, boolean inAll, List<Contributor> contributors) {}

    private final Map<String, Section> sections = new LinkedHashMap<>();

    /** Creates the registry with Redis's section catalogue (all empty). */
    public InfoRegistry() {
        declareSection("server", "Server", true);
        declareSection("clients", "Clients", true);
        declareSection("memory", "Memory", true);
        declareSection("persistence", "Persistence", true);
        declareSection("stats", "Stats", true);
        declareSection("replication", "Replication", true);
        declareSection("cpu", "CPU", true);
        declareSection("modules", "Modules", true);
        declareSection("errorstats", "Errorstats", true);
        declareSection("cluster", "Cluster", true);
        declareSection("keyspace", "Keyspace", true);
        declareSection("commandstats", "Commandstats", false);
        declareSection("latencystats", "Latencystats", false);
    }

    /**
     * Declares a section (name is case-insensitive) shown with INFO, INFO default and INFO all
     * when {@code inDefault}, otherwise only with INFO all/everything or by name. Declaring an
     * existing section does nothing.
     */
    public synchronized void declareSection(String name, String title, boolean inDefault) {
        sections.putIfAbsent(name.toLowerCase(Locale.ROOT), new Section(title, inDefault, true, new CopyOnWriteArrayList<>()));
    }

    /** Adds a contributor to section {@code name} (declared on the fly, outside the default set, if unknown). */
    public synchronized void add(String name, Contributor contributor) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!sections.containsKey(key)) {
            declareSection(key, Character.toUpperCase(key.charAt(0)) + key.substring(1), false);
        }
        sections.get(key).contributors().add(contributor);
    }

    /**
     * Renders INFO for the requested section names (already lower case); no names means
     * "default"; "all" adds non-default sections; "everything" likewise. Unknown names are ignored.
     */
    public String render(List<String> requested) {
        return render(requested, null, null);
    }

    /**
     * Whether INFO with {@code requested} (as {@link #render} takes them) shows section
     * {@code name} (lower case) once something contributes to it.
     */
    public boolean shows(List<String> requested, String name) {
        if (requested.isEmpty()) {
            return inDefault(name);
        }
        for (String r : requested) {
            if (r.equals("all") || r.equals("everything") || r.equals(name) || r.equals("default") && inDefault(name)) {
                return true;
            }
        }
        return false;
    }

    private synchronized boolean inDefault(String name) {
        Section s = sections.get(name);
        return s != null && s.inDefault();
    }

    /**
     * {@link #render(List)} with section {@code replaced}'s contributors replaced by
     * {@code replacement} (e.g. the cluster's keyspace instead of this node's).
     */
    public String render(List<String> requested, String replaced, Contributor replacement) {
        boolean all = false;
        boolean defaults = requested.isEmpty();
        List<String> named = new ArrayList<>();
        for (String r : requested) {
            switch (r) {
                case "all", "everything" -> all = true;
                case "default" -> defaults = true;
                default -> named.add(r);
            }
        }
        StringBuilder out = new StringBuilder(1024);
        List<Map.Entry<String, Section>> entries;
        synchronized (this) {
            entries = new ArrayList<>(sections.entrySet());
        }
        int written = 0;
        for (Map.Entry<String, Section> e : entries) {
            Section s = e.getValue();
            boolean wanted = all || (defaults && s.inDefault()) || named.contains(e.getKey());
            if (!wanted || s.contributors().isEmpty()) {
                continue;
            }
            if (written++ > 0) {
                out.append("\r\n");
            }
            out.append("# ").append(s.title()).append("\r\n");
            InfoBuilder builder = new InfoBuilder(out);
            if (e.getKey().equals(replaced)) {
                replacement.write(builder);
                continue;
            }
            for (Contributor c : s.contributors()) {
                c.write(builder);
            }
        }
        return out.toString();
    }

    /** The fields of the requested sections (as {@link #render} takes them), name to value, first one kept. */
    public Map<String, String> fields(List<String> requested) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String line : render(requested).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.putIfAbsent(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }
}
