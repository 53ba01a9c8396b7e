/* The SPARQL query page: an editor (CodeMirror 5, vendored; the
   plain textarea where scripts are off), example questions, and answers drawn as tables whose IRIs
   link to the entity pages on this host. Everything from the server is put
   into the page as text, never as HTML. */
(function () {
  "use strict";

  var root = document.getElementById("sparql");
  if (!root) { return; }
  var BASE = root.getAttribute("data-base") || "";
  var ENDPOINT = root.getAttribute("data-endpoint") || "/sparql";
  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query");
  var formatSelect = document.getElementById("format");
  var statusBox = document.getElementById("status");
  var resultsBox = document.getElementById("results");
  var editor = null;

  if (window.CodeMirror) {
    editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "application/sparql-query",
      lineNumbers: true,
      indentUnit: 2,
      viewportMargin: Infinity,
      extraKeys: {
        "Ctrl-Enter": function () { run(); },
        "Cmd-Enter": function () { run(); }
      }
    });
    root.classList.add("has-editor");
  } else {
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
  }

  function getQuery() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(text) {
    if (editor) { editor.setValue(text); } else { textarea.value = text; }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  var KNOWN_PREFIXES = {};
  try { KNOWN_PREFIXES = JSON.parse(root.getAttribute("data-prefixes") || "{}"); } catch (e) { }

  function prefixesOf(query) {
    // the query's own PREFIX lines first, then the vocabulary's usual ones
    var map = [];
    var seen = {};
    var re = /PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>/gi;
    var m;
    while ((m = re.exec(query)) !== null) { map.push([m[1] || "", m[2]]); seen[m[2]] = true; }
    Object.keys(KNOWN_PREFIXES).forEach(function (name) {
      if (!seen[KNOWN_PREFIXES[name]]) { map.push([name, KNOWN_PREFIXES[name]]); }
    });
    map.sort(function (a, b) { return b[1].length - a[1].length; });
    return map;
  }

  function shortIri(iri, prefixes) {
    for (var i = 0; i < prefixes.length; i++) {
      var ns = prefixes[i][1];
      var local = iri.slice(ns.length);
      if (ns && iri.indexOf(ns) === 0 && /^[A-Za-z0-9_][\w.-]*$/.test(local)) {
        return prefixes[i][0] + ":" + local;
      }
    }
    if (BASE && iri.indexOf(BASE) === 0 && iri.length > BASE.length) {
      return iri.slice(BASE.length);
    }
    return iri;
  }

  function hrefFor(iri) {
    // IRIs of this dataset open on this host; others (Wikidata, schema.org) as they are
    if (BASE && iri.indexOf(BASE) === 0) { return "/" + iri.slice(BASE.length); }
    if (/^https?:\/\//i.test(iri)) { return iri; }
    return null;
  }

  function termNode(term, prefixes) {
    if (!term) { return el("span", "unbound", ""); }
    if (term.type === "uri") {
      var href = hrefFor(term.value);
      var node = href ? el("a", "iri", shortIri(term.value, prefixes)) : el("span", "iri", term.value);
      if (href) {
        node.setAttribute("href", href);
        if (href.charAt(0) !== "/") { node.className += " external"; node.setAttribute("rel", "noopener"); }
      }
      node.setAttribute("title", term.value);
      return node;
    }
    if (term.type === "bnode") { return el("span", "bnode", "_:" + term.value); }
    if (term.type === "triple") {
      var wrap = el("span", "quoted-triple", "<< ");
      ["subject", "predicate", "object"].forEach(function (k) {
        wrap.appendChild(termNode(term.value[k], prefixes));
        wrap.appendChild(document.createTextNode(" "));
      });
      wrap.appendChild(document.createTextNode(">>"));
      return wrap;
    }
    var lit = el("span", "literal", term.value);
    var box = el("span", "sparql-term");
    box.appendChild(lit);
    if (term["xml:lang"]) {
      box.appendChild(el("span", "note", " @" + term["xml:lang"]));
    } else if (term.datatype) {
      box.appendChild(el("span", "note", " " + shortIri(term.datatype, prefixes)));
    }
    return box;
  }

  function table(headers, rows, prefixes) {
    var t = el("table", "results-table");
    var thead = el("thead");
    var tr = el("tr");
    headers.forEach(function (h) {
      var th = el("th", null, h);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (row) {
      var r = el("tr");
      row.forEach(function (term) {
        var td = el("td");
        td.appendChild(termNode(term, prefixes));
        r.appendChild(td);
      });
      tbody.appendChild(r);
    });
    t.appendChild(tbody);
    return t;
  }

  function unescapeNt(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, function (all, e) {
      if (e.length > 1) { return String.fromCodePoint(parseInt(e.slice(1), 16)); }
      return { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", '"': '"', "'": "'", "\\": "\\" }[e] || e;
    });
  }

  var NT_TERM = /<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?/g;

  function parseNTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      line = line.trim();
      if (!line || line.charAt(0) === "#") { return; }
      var terms = [];
      var m;
      NT_TERM.lastIndex = 0;
      while (terms.length < 3 && (m = NT_TERM.exec(line)) !== null) {
        if (m[1] !== undefined) { terms.push({ type: "uri", value: unescapeNt(m[1]) }); }
        else if (m[2] !== undefined) { terms.push({ type: "bnode", value: m[2] }); }
        else {
          var t = { type: "literal", value: unescapeNt(m[3]) };
          if (m[4]) { t["xml:lang"] = m[4]; }
          if (m[5] && m[5] !== "http://www.w3.org/2001/XMLSchema#string") { t.datatype = m[5]; }
          terms.push(t);
        }
      }
      if (terms.length === 3) { rows.push(terms); }
    });
    return rows;
  }

  function say(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "status" + (kind ? " " + kind : "");
  }

  var TABULAR = [["json", "JSON"], ["xml", "XML"], ["csv", "CSV"], ["tsv", "TSV"]];
  var GRAPH = [["turtle", "Turtle"], ["ntriples", "N-Triples"], ["rdfxml", "RDF/XML"],
               ["jsonld", "JSON-LD"]];

  function downloads(query, formats) {
    var box = el("p", "downloads", "Download this answer as ");
    var url = ENDPOINT + "?query=" + encodeURIComponent(query);
    if (url.length > 7000) { return null; }
    formats.forEach(function (f, i) {
      if (i) { box.appendChild(document.createTextNode(" · ")); }
      var a = el("a", null, f[1]);
      a.setAttribute("href", url + "&format=" + f[0]);
      box.appendChild(a);
    });
    return box;
  }

  var running = null;

  function run() {
    var query = getQuery();
    if (running) { running.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    running = controller;
    resultsBox.textContent = "";
    say("Running…", "busy");
    var started = performance.now();
    var body = new URLSearchParams();
    body.set("query", query);
    fetch(ENDPOINT, {
      method: "POST",
      headers: {
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: body.toString(),
      signal: controller ? controller.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (text) { return { resp: resp, text: text }; });
    }).then(function (got) {
      running = null;
      var ms = Math.round(performance.now() - started);
      var resp = got.resp;
      if (!resp.ok) {
        say("The endpoint answered " + resp.status + " " + resp.statusText + " after " + ms + " ms.", "error");
        resultsBox.appendChild(el("pre", "error-text", got.text));
        return;
      }
      var type = (resp.headers.get("Content-Type") || "").split(";")[0];
      var prefixes = prefixesOf(query);
      if (type === "application/sparql-results+json") {
        var data = JSON.parse(got.text);
        if (typeof data.boolean === "boolean") {
          say("ASK answered in " + ms + " ms.", "done");
          resultsBox.appendChild(el("p", "boolean", data.boolean ? "Yes (true)" : "No (false)"));
        } else {
          var vars = data.head.vars || [];
          var rows = data.results.bindings.map(function (b) {
            return vars.map(function (v) { return b[v]; });
          });
          say(rows.length + (rows.length === 1 ? " row" : " rows") + " in " + ms + " ms.", "done");
          resultsBox.appendChild(table(vars, rows, prefixes));
        }
      } else if (type === "application/n-triples") {
        var triples = parseNTriples(got.text);
        say(triples.length + (triples.length === 1 ? " triple" : " triples") + " in " + ms + " ms.", "done");
        resultsBox.appendChild(table(["subject", "predicate", "object"], triples, prefixes));
      } else {
        say("Answered in " + ms + " ms (" + type + ").", "done");
        resultsBox.appendChild(el("pre", null, got.text));
      }
      var links = downloads(query, type === "application/n-triples" ? GRAPH : TABULAR);
      if (links) { resultsBox.appendChild(links); }
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      running = null;
      say("The query could not be sent: " + error, "error");
    });
  }

  form.addEventListener("submit", function (event) {
    if (formatSelect.value === "table") {
      event.preventDefault();
      run();
    } else if (editor) {
      editor.save();
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("a.example"), function (link) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
      event.preventDefault();
      setQuery(link.getAttribute("data-query"));
      formatSelect.value = "table";
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", link.getAttribute("href"));
      }
      run();
      root.scrollIntoView();
    });
  });

  if (resultsBox.getAttribute("data-autorun")) { run(); }
}());
