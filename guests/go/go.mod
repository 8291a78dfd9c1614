module glass.dev/guests

go 1.24
