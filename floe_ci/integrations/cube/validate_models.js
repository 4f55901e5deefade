#!/usr/bin/env node
// Validate Cube data models with Cube's own schema compiler and, optionally, build the SQL
// Cube would run for a query (DuckDB dialect). Prints one JSON object on stdout:
//   {"ok": true, "cubes": [{"name", "measures", "dimensions", "public"}], "sql": [sql, params]}
//   {"ok": false, "errors": ["<Cube's message>", ...]}
// Usage: NODE_PATH=<cube install>/node_modules node validate_models.js MODEL_DIR
//          [--query QUERY_JSON] [--config CUBE_JS] [--security-context JSON]
//          [--dialect duckdb|postgres] [--pre-aggregations]
// QUERY_JSON is a Cube query ({"measures": [...], "dimensions": [...], "filters": [...]}).
// CUBE_JS is checked with Cube's own options validation; with a query, its queryRewrite is
// applied first (with the given security context), as the Cube server does.
// --pre-aggregations: for every pre-aggregation, Cube's refresh-key SQL (Cube's own check of
// `refresh_key.every`), its description as the refresh worker builds it, and whether Cube
// answers the pre-aggregation's own query (its measures by its time dimension, after
// queryRewrite with the security context) from it: {"preAggregations": [{id, used, ...}]}.
// Cube's native (Rust) module cannot be installed offline: the Tesseract planner is turned
// off and Jinja / Python models are refused through a stand-in native instance.
'use strict';

process.env.CUBEJS_TESSERACT_SQL_PLANNER = 'false';

const path = require('path');

function fail(errors) {
  process.stdout.write(JSON.stringify({ ok: false, errors }) + '\n');
  process.exit(1);
}

function unsupported() {
  throw new Error('Jinja templates in Cube models are not supported by floe-ci validation');
}

const noNative = {
  // Called for every compilation; only using the engine (a Jinja model) is refused.
  newJinjaEngine() {
    return { loadTemplate: unsupported, renderTemplate: unsupported };
  },
  loadPythonContext() {
    throw new Error('Python (globals.py) in Cube models is not supported by floe-ci validation');
  },
};

function memberNames(definitions) {
  return Object.keys(definitions || {});
}

function parseArgs(argv) {
  const args = {
    modelDir: null,
    query: null,
    config: null,
    securityContext: {},
    dialect: 'duckdb',
    preAggregations: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--query') args.query = JSON.parse(argv[++i]);
    else if (arg === '--config') args.config = path.resolve(argv[++i]);
    else if (arg === '--security-context') args.securityContext = JSON.parse(argv[++i]);
    else if (arg === '--dialect') args.dialect = argv[++i];
    else if (arg === '--pre-aggregations') args.preAggregations = true;
    else if (!args.modelDir) args.modelDir = arg;
    else fail([`unexpected argument ${arg}`]);
  }
  if (!args.modelDir) fail(['usage: validate_models.js MODEL_DIR [--query JSON] [--config CUBE_JS]']);
  return args;
}

function loadConfig(file) {
  const { validateOptions } = require('@cubejs-backend/server-core/dist/src/core/optionsValidate');
  let options;
  try {
    options = require(file);
    validateOptions(options);
  } catch (error) {
    fail([`${path.basename(file)}: ${String((error && error.message) || error)}`]);
  }
  return options;
}

// The members Cube shows to a token (its /meta), by Cube's own access-policy code: the
// server's CompilerApi.patchVisibilityByAccessPolicy with cube.js's contextToGroups.
async function visibleMembers(compilers, options, securityContext) {
  const { CompilerApi } = require('@cubejs-backend/server-core/dist/src/core/CompilerApi');
  const api = Object.create(CompilerApi.prototype);
  api.contextToGroups = options.contextToGroups;
  const { cubes } = await api.patchVisibilityByAccessPolicy(
    compilers,
    { securityContext },
    compilers.metaTransformer.cubes,
  );
  const visible = {};
  for (const cube of cubes) {
    visible[cube.config.name] = [...(cube.config.dimensions || []), ...(cube.config.measures || [])]
      .filter((member) => member.public !== false && member.isVisible !== false)
      .map((member) => member.name);
  }
  return visible;
}

function queryClass(dialect) {
  if (dialect === 'postgres') {
    return require('@cubejs-backend/schema-compiler/dist/src/adapter/PostgresQuery').PostgresQuery;
  }
  if (dialect === 'duckdb') {
    return require('@cubejs-backend/duckdb-driver/dist/src/DuckDBQuery.js').DuckDBQuery;
  }
  return fail([`unknown dialect ${dialect}: use duckdb or postgres`]);
}

function message(error) {
  return String((error && error.message) || error);
}

// The query a pre-aggregation is made for: its measures and dimensions, by its time
// dimension at its granularity.
function ownQuery(references) {
  const query = {
    measures: references.measures || [],
    dimensions: references.dimensions || [],
  };
  const time = (references.timeDimensions || [])[0];
  if (time) {
    query.timeDimensions = [{ dimension: time.dimension, granularity: time.granularity }];
  }
  return query;
}

async function checkPreAggregations(compilers, Query, options, securityContext) {
  const queryOptions = {
    timezone: 'UTC',
    preAggregationsSchema: options.preAggregationsSchema || 'prod_pre_aggregations',
  };
  const results = [];
  for (const found of compilers.cubeEvaluator.preAggregations()) {
    const entry = { id: found.id, cube: found.cube, name: found.preAggregationName, used: false };
    results.push(entry);
    try {
      const query = ownQuery(found.references);
      const rewritten = options.queryRewrite
        ? await options.queryRewrite(query, { securityContext })
        : query;
      entry.query = rewritten;
      const cubeQuery = new Query(compilers, { ...queryOptions, ...rewritten });
      // The refresh worker's SQL for the refresh key: Cube refuses an `every` it cannot use.
      entry.refreshKeySql = cubeQuery.preAggregationInvalidateKeyQueries(
        found.cube,
        found.preAggregation,
        found.preAggregationName,
      ).map((keyQuery) => keyQuery[0]);
      const forQuery = cubeQuery.preAggregations.findPreAggregationForQuery();
      entry.used = Boolean(forQuery && forQuery.preAggregationName === found.preAggregationName
        && forQuery.cube === found.cube);
      const descriptions = cubeQuery.preAggregations.preAggregationsDescription();
      entry.tableNames = descriptions.map((d) => d.tableName);
      entry.loadSql = descriptions.map((d) => d.loadSql);
      entry.sql = cubeQuery.buildSqlAndParams();
    } catch (error) {
      entry.error = message(error);
    }
  }
  return results;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const modelDir = args.modelDir;
  const options = args.config ? loadConfig(args.config) : {};
  const { prepareCompiler } = require('@cubejs-backend/schema-compiler');
  const { FileRepository } = require('@cubejs-backend/shared');
  // FileRepository reads <cwd>/<path>: run from the model folder's parent.
  const absolute = path.resolve(modelDir);
  process.chdir(path.dirname(absolute));
  const compilers = prepareCompiler(new FileRepository(path.basename(absolute)), {
    standalone: true,
    nativeInstance: noNative,
  });
  try {
    await compilers.compiler.compile();
  } catch (error) {
    const text = String((error && error.message) || error);
    fail(text.split(/\n(?=\S)/).map((line) => line.trim()).filter(Boolean));
  }
  const cubes = compilers.cubeEvaluator.cubeNames().map((name) => {
    const cube = compilers.cubeEvaluator.cubeFromPath(name);
    return {
      name,
      measures: memberNames(cube.measures),
      dimensions: memberNames(cube.dimensions),
      hidden: Object.entries(cube.dimensions || {})
        .filter(([, d]) => d.public === false)
        .map(([n]) => n),
      accessPolicy: cube.accessPolicy || [],
    };
  });
  const result = { ok: true, cubes };
  if (args.config) {
    result.visible = await visibleMembers(compilers, options, args.securityContext);
  }
  const Query = queryClass(args.dialect);
  if (args.preAggregations) {
    result.preAggregations = await checkPreAggregations(
      compilers,
      Query,
      options,
      args.securityContext,
    );
  }
  if (args.query) {
    try {
      let cubeQuery = args.query;
      if (options.queryRewrite) {
        cubeQuery = await options.queryRewrite(cubeQuery, { securityContext: args.securityContext });
      }
      result.query = cubeQuery;
      const query = new Query(compilers, {
        timezone: 'UTC',
        preAggregationsSchema: options.preAggregationsSchema,
        ...cubeQuery,
      });
      result.sql = query.buildSqlAndParams();
    } catch (error) {
      fail([String((error && error.message) || error)]);
    }
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => fail([String((error && error.stack) || error)]));
