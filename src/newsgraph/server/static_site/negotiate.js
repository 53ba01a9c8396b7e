// Content negotiation for the static site, in nginx (njs), with the rules of
// `newsgraph serve` (src/newsgraph/server/web/negotiation.py): each offer takes
// the q of the most specific range naming it; the highest q wins, then the more
// specific range, then the client's order, then ours. A q above 1 counts as 1;
// a malformed member is skipped; no Accept at all means */*.
// The offers are written in by the exporter from the server's one format table.
var OFFERS = __OFFERS__;

function splitMembers(header) {
    var members = [], current = "", quoted = false, escaped = false;
    for (var i = 0; i < header.length; i++) {
        var ch = header[i];
        if (escaped) { escaped = false; }
        else if (ch === "\\" && quoted) { escaped = true; }
        else if (ch === '"') { quoted = !quoted; }
        else if (ch === "," && !quoted) { members.push(current); current = ""; continue; }
        current += ch;
    }
    members.push(current);
    return members.filter(function (m) { return m.trim() !== ""; });
}

function parseQ(raw) {
    raw = raw.trim().replace(/^"+|"+$/g, "");
    if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw)) { return null; }
    return Math.min(parseFloat(raw), 1.0);
}

function parseAccept(header) {
    if (header === undefined || header === null || header.trim() === "") {
        return [{type: "*", subtype: "*", q: 1.0, order: 0}];
    }
    var ranges = [], members = splitMembers(header);
    for (var order = 0; order < members.length; order++) {
        var parts = members[order].split(";").map(function (p) { return p.trim(); });
        var full = parts[0].toLowerCase(), slash = full.indexOf("/");
        if (slash < 0) { continue; }
        var mtype = full.slice(0, slash).trim(), msub = full.slice(slash + 1).trim();
        if (!mtype || !msub || (mtype === "*" && msub !== "*")) { continue; }
        var q = 1.0;
        for (var j = 1; j < parts.length; j++) {
            var eq = parts[j].indexOf("=");
            if (eq >= 0 && parts[j].slice(0, eq).trim().toLowerCase() === "q") {
                q = parseQ(parts[j].slice(eq + 1));
                break;
            }
        }
        if (q === null) { continue; }
        ranges.push({type: mtype, subtype: msub, q: q, order: order});
    }
    return ranges;
}

function specificity(r) { return r.type === "*" ? 0 : (r.subtype === "*" ? 1 : 2); }

function matches(r, offer) {
    if (specificity(r) === 2) {
        var name = r.type + "/" + r.subtype;
        return name === offer.media_type || offer.aliases.indexOf(name) >= 0;
    }
    return r.type === "*" || r.type === offer.media_type.split("/")[0];
}

function negotiate(header, offers) {
    var ranges = parseAccept(header), best = null, chosen = null;
    for (var rank = 0; rank < offers.length; rank++) {
        var match = null;
        for (var i = 0; i < ranges.length; i++) {
            var r = ranges[i];
            if (!matches(r, offers[rank])) { continue; }
            if (match === null || specificity(r) > specificity(match) ||
                (specificity(r) === specificity(match) && r.q > match.q)) { match = r; }
        }
        if (match === null || match.q <= 0) { continue; }
        var key = [match.q, specificity(match), -match.order, -rank];
        if (best === null || greater(key, best)) { best = key; chosen = offers[rank]; }
    }
    return chosen;
}

function greater(a, b) {
    for (var i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) { return a[i] > b[i]; }
    }
    return false;
}

// the extension of the description format the client prefers, "" for none (406)
function description(r) {
    var found = negotiate(r.headersIn.Accept, OFFERS.descriptions);
    return found ? found.ext : "";
}

// a 404 is a page for a browser, one line of text for everyone else
function notFound(r) {
    var found = negotiate(r.headersIn.Accept, OFFERS.not_found);
    return found && found.ext === "html" ? "html" : "txt";
}

export default {description: description, notFound: notFound, negotiate: negotiate};
