//go:build !netgo

package main

const netgo = false
