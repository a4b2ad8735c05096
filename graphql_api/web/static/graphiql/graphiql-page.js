// GraphiQL on local files: queries and mutations over HTTP POST, subscriptions over graphql-ws
// (graphql-transport-ws). The Headers tab's object is sent with every HTTP request and, for a
// subscription, as the connection_init payload — where the server reads "Authorization".
/* global React, ReactDOM, GraphiQL, GraphiQLPluginExplorer, graphqlWs */
(function () {
  "use strict";

  const httpUrl = window.location.origin + window.location.pathname;
  const wsUrl = httpUrl.replace(/^http/, "ws");
  const TOKEN_KEY = "docat.token"; // the dashboard keeps its token here (sessionStorage)

  function operationOf(params, documentAST) {
    let ast = documentAST;
    if (!ast) {
      try {
        ast = GraphiQL.GraphQL.parse(params.query);
      } catch (_error) {
        return null;
      }
    }
    const operations = ast.definitions.filter((d) => d.kind === "OperationDefinition");
    if (params.operationName) {
      return operations.find((d) => d.name && d.name.value === params.operationName) || null;
    }
    return operations.length === 1 ? operations[0] : null;
  }

  function closeMessage(reason) {
    if (reason && typeof reason.code === "number") {
      return `WebSocket closed: ${reason.code} ${reason.reason || ""}`.trim();
    }
    if (Array.isArray(reason)) return reason.map((e) => e.message).join("; ");
    return reason && reason.message ? reason.message : String(reason);
  }

  async function* subscribe(params, headers) {
    // One client per subscription, so the current Headers tab is what connection_init carries.
    const client = graphqlWs.createClient({
      url: wsUrl,
      connectionParams: headers,
      lazy: true,
      retryAttempts: 0,
    });
    try {
      for await (const result of client.iterate(params)) yield result;
    } catch (reason) {
      yield { errors: [{ message: closeMessage(reason) }] };
    } finally {
      client.dispose();
    }
  }

  async function fetcher(params, options) {
    const headers = Object.assign({}, (options && options.headers) || {});
    const operation = operationOf(params, options && options.documentAST);
    if (operation && operation.operation === "subscription") return subscribe(params, headers);
    const response = await fetch(httpUrl, {
      method: "POST",
      headers: Object.assign(
        { "Content-Type": "application/json", Accept: "application/graphql-response+json, application/json" },
        headers,
      ),
      body: JSON.stringify(params),
    });
    return response.json();
  }

  const token = window.sessionStorage.getItem(TOKEN_KEY);
  const defaultHeaders = JSON.stringify(
    token ? { Authorization: `Bearer ${token}` } : {},
    null,
    2,
  );
  const defaultQuery = `# PDF Docat's GraphQL API. Sign in with the login mutation, put the token
# in the Headers tab ("Authorization": "Bearer …"); subscriptions send the same
# headers in graphql-ws's connection_init.

query Me {
  me { email role tier creditsUsed creditsLimit }
}

subscription MyJobs {
  myJobs { documentId status stage progress page pageCount }
}
`;

  function App() {
    return React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      defaultHeaders,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // Headers hold the token: never copied into localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
