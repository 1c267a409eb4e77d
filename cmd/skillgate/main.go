// Command skillgate serves Skillgate and runs its maintenance commands.
// Run 'skillgate help' for usage.
package main

import (
	"context"
	"os"

	"github.com/skillgate/skillgate/app"
)

func main() {
	os.Exit(app.Run(context.Background(), app.Env{
		Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
	}))
}
