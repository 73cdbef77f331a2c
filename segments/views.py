from django.http import HttpResponse


def overview(request):
    return HttpResponse("Segment Desk")
