// Package client is a Go client of the Skillgate API, generated from
// app/api/openapi.json by oapi-codegen (a tool dependency in go.mod): run
// `go generate ./app/api/client` after changing the document. It is never
// edited by hand; TestClientIsGenerated fails when it is out of date, and
// app/server's TestGeneratedClientScenario drives a real server with it.
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.json
