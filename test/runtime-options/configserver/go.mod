module example.com/configserver

go 1.24
