// Package schema holds the JSON Schema of the scenario format
// (scenario.schema.json), for editors (yaml-language-server: put
// `# yaml-language-server: $schema=PATH/schema/scenario.schema.json` at the
// top of a scenario) and for tools that want to check a file without
// loading it. The loader in package scenario stays the authority; the
// tests of this package keep the two in agreement.
package schema

import _ "embed"

// Scenario is the JSON Schema (draft 2020-12) of the scenario format,
// version 1.
//
//go:embed scenario.schema.json
var Scenario []byte
