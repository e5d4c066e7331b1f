package main

import (
	"fmt"
	"io"
)

// TEMPORARY STUB: replaced by its owner.
func cmdScore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "not implemented yet")
	return exitError
}

// TEMPORARY STUB: replaced by its owner.
func cmdEval(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "not implemented yet")
	return exitError
}
