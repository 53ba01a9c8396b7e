// rdf-test-suite wants a query engine module; the protocol and service
// description tests talk HTTP to the endpoint under test and never call it.
module.exports = {
  parse: async () => { throw new Error("no engine: these tests use the HTTP endpoint"); },
  query: async () => { throw new Error("no engine: these tests use the HTTP endpoint"); },
};
