module github.com/aurinko-go/aurinko

go 1.26
